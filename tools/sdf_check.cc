// autogpt-sdf-check: validate SDF worlds and URDF files with libsdformat,
// the parser Gazebo itself uses.  Built by `make setup`.
// Usage: autogpt-sdf-check FILE [FILE ...]; exit status 1 if any file has errors.
// For each world frame it prints the frame's pose resolved in the world
// ("frame 'NAME' x y z yaw"), as Gazebo reads it.
#include <iostream>
#include <sstream>
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
    std::ostringstream frames;
    for (std::size_t w = 0; w < worlds; ++w) {
      const sdf::World *world = root.WorldByIndex(w);
      world_models += world->ModelCount();
      for (std::size_t f = 0; f < world->FrameCount(); ++f) {
        const sdf::Frame *frame = world->FrameByIndex(f);
        ignition::math::Pose3d pose;
        sdf::Errors resolve = frame->SemanticPose().Resolve(pose, "world");
        if (!resolve.empty()) {
          ++bad;
          for (const auto &e : resolve) std::cout << argv[i] << ": error: frame '" << frame->Name() << "': " << e.Message() << "\n";
          continue;
        }
        frames << ", frame '" << frame->Name() << "' " << pose.Pos().X() << " " << pose.Pos().Y() << " " << pose.Pos().Z() << " "
               << pose.Rot().Yaw();
      }
    }
    const sdf::Model *model = root.Model();
    std::cout << argv[i] << ": ok (sdf " << root.Version() << ", worlds " << worlds << ", world models " << world_models
              << frames.str();
    if (model) {
      std::cout << ", model '" << model->Name() << "' links " << model->LinkCount() << " joints " << model->JointCount();
    }
    std::cout << ")\n";
  }
  return bad ? 1 : 0;
}
