"""autogpt_ros: a language-driven ROS 2 robot agent."""
__version__ = "0.1.0"
