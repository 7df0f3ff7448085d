"""autogpt_ros: an ament_python ROS 2 package (colcon build, or pip install .)."""
import ast
import os
from glob import glob

from setuptools import find_packages, setup

package_name = "autogpt_ros"


def tree(folder, patterns=("*",)):
    """(share/autogpt_ros/<dir>, [files]) pairs for every file below folder."""
    out = {}
    for root, _dirs, _files in os.walk(folder):
        files = [f for p in patterns for f in glob(os.path.join(root, p)) if os.path.isfile(f)]
        if files:
            out.setdefault(os.path.join("share", package_name, root), []).extend(sorted(set(files)))
    return sorted(out.items())




def nodes():
    """The node executables: the NODES table of autogpt_ros/nodes/__init__.py (read, not imported)."""
    tree_ = ast.parse(open(os.path.join(package_name, "nodes", "__init__.py")).read())
    for st in tree_.body:
        if isinstance(st, ast.Assign) and any(getattr(t, "id", "") == "NODES" for t in st.targets):
            return ast.literal_eval(st.value)
    raise RuntimeError("autogpt_ros/nodes/__init__.py has no NODES table")

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*"]),
    package_data={package_name: ["data/*", "data/**/*"]},
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
    ]
    + tree("launch", ("*.launch.xml", "*.launch.py"))
    + tree("config", ("*.yaml", "*.rviz"))
    + tree("description", ("*.urdf", "*.sdf", "*.xacro"))
    + tree("worlds", ("*.yaml", "*.sdf")),
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="autogpt_ros maintainers",
    maintainer_email="maintainers@autogpt-ros.dev",
    description="Language-driven mobile robot agent for ROS 2",
    license="Apache-2.0",
    tests_require=["pytest"],
    entry_points={
        "console_scripts": [f"{n} = {spec.split(':')[0]}:main" for n, spec in nodes().items()]
        + ["autogpt-ros = autogpt_ros.cli:main"],
    },
)
