// autogpt-sdf-check: validate SDF worlds and URDF files with libsdformat,
// the parser Gazebo itself uses.  Built by `make setup`.
// Usage: autogpt-sdf-check FILE [FILE ...]; exit status 1 if any file has errors.
#include <iostream>
#include <sdf/sdf.hh>

int main(int argc, char **argv) {
  if (argc < 2) {
    std::cerr << "usage: autogpt-sdf-check FILE [FILE ...]\n";
    return 2;
  }
  int bad = 0;
  for (int i = 1; i < argc; ++i) {
    sdf::Root root;
    sdf::Errors errors = root.Load(argv[i]);
    if (!errors.empty()) {
      ++bad;
      for (const auto &e : errors) std::cout << argv[i] << ": error: " << e.Message() << "\n";
      continue;
    }
    std::size_t worlds = root.WorldCount();
    std::size_t world_models = 0;
    for (std::size_t w = 0; w < worlds; ++w) world_models += root.WorldByIndex(w)->ModelCount();
    const sdf::Model *model = root.Model();
    std::cout << argv[i] << ": ok (sdf " << root.Version() << ", worlds " << worlds << ", world models " << world_models
              ;
    if (model) {
      std::cout << ", model '" << model->Name() << "' links " << model->LinkCount() << " joints " << model->JointCount();
    }
    std::cout << ")\n";
  }
  return bad ? 1 : 0;
}
