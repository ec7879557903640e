#include "config/sweep.hpp"

#include "util/text.hpp"

namespace qharness {
namespace {

struct Axis {
  std::vector<std::string> keys;               // one key, or several advancing together (zip)
  std::vector<std::vector<YAML::Node>> values; // values[k][i]: key k at position i
  std::vector<Origin> origins;                 // per key
  std::size_t size() const { return values.empty() ? 0 : values[0].size(); }
};

void read_axis_map(const RawConfig& cfg, const YAML::Node& node, const std::string& kind,
                   std::vector<Axis>& axes, bool zipped) {
  if (!node) return;
  const std::string path = "sweep." + kind;
  if (node.IsNull()) return;
  if (zipped && node.IsSequence()) {
    // Several zip groups, each its own axis (model with its checkpoint, W/A pairs, ...).
    for (const auto& group : node) {
      if (!group.IsMap())
        throw ConfigError(cfg.origin_of(path), path + ": expected a mapping of key paths to lists, or a list of such mappings");
      read_axis_map(cfg, group, kind, axes, true);
    }
    return;
  }
  if (!node.IsMap())
    throw ConfigError(cfg.origin_of(path), path + ": expected a mapping of key paths to lists of values");
  Axis zip_axis;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.Scalar();
    const Origin origin = cfg.origin_of(path + "." + key);
    if (key == "seed" || starts_with(key, "sweep"))
      throw ConfigError(origin, path + "." + key + ": use sweep.seeds to sweep seeds; the sweep block cannot sweep itself");
    if (key == "name")
      throw ConfigError(origin, path + ".name: the experiment name cannot be swept (it names the results folder)");
    if (!it->second.IsSequence() || it->second.size() == 0)
      throw ConfigError(origin, path + "." + key + ": expected a non-empty list of values, like [2, 4, 8]");
    std::vector<YAML::Node> values(it->second.begin(), it->second.end());
    if (zipped) {
      if (!zip_axis.keys.empty() && values.size() != zip_axis.size())
        throw ConfigError(origin, path + "." + key + ": has " + std::to_string(values.size()) +
                                      " values but " + zip_axis.keys[0] + " has " +
                                      std::to_string(zip_axis.size()) + "; zipped lists advance together");
      zip_axis.keys.push_back(key);
      zip_axis.values.push_back(values);
      zip_axis.origins.push_back(origin);
    } else {
      axes.push_back(Axis{{key}, {values}, {origin}});
    }
  }
  if (zipped && !zip_axis.keys.empty()) axes.push_back(std::move(zip_axis));
}

}  // namespace

std::vector<TrialPoint> expand_sweep(const RawConfig& cfg) {
  YAML::Node base = YAML::Clone(cfg.root);
  const YAML::Node sweep = cfg.root["sweep"];
  base.remove("sweep");

  std::vector<Axis> axes;
  if (sweep && !sweep.IsNull()) {
    if (!sweep.IsMap()) throw ConfigError(cfg.origin_of("sweep"), "sweep: expected a mapping with grid, zip and seeds");
    for (auto it = sweep.begin(); it != sweep.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (k != "grid" && k != "zip" && k != "seeds") {
        std::string near = nearest(k, {"grid", "zip", "seeds"});
        throw ConfigError(cfg.origin_of("sweep." + k), "unknown key 'sweep." + k + "'" +
                                                           (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                                                           "; valid keys here: grid, zip, seeds");
      }
    }
    // Axes keep insertion order within grid; grid comes before zip regardless of file order.
    read_axis_map(cfg, sweep["grid"], "grid", axes, false);
    read_axis_map(cfg, sweep["zip"], "zip", axes, true);
    if (const YAML::Node seeds = sweep["seeds"]; seeds && !seeds.IsNull()) {
      const Origin origin = cfg.origin_of("sweep.seeds");
      if (!seeds.IsSequence() || seeds.size() == 0)
        throw ConfigError(origin, "sweep.seeds: expected a non-empty list of integers, like [0, 1, 2]");
      Axis a{{"seed"}, {{}}, {origin}};
      for (const auto& s : seeds) {
        try {
          std::size_t used = 0;
          std::stoll(s.Scalar(), &used);
          if (!s.IsScalar() || used != s.Scalar().size()) throw std::invalid_argument("");
        } catch (const std::exception&) {
          throw ConfigError(origin, "sweep.seeds: '" + (s.IsScalar() ? s.Scalar() : std::string("?")) + "' is not an integer");
        }
        a.values[0].push_back(s);
      }
      axes.push_back(std::move(a));
    }
  }

  // The product of the axes' lengths, refused above the limit before anything is allocated
  // (and before it could overflow).
  std::size_t total = 1;
  std::string factors;
  bool too_many = false;
  for (const auto& a : axes) {
    factors += (factors.empty() ? "" : " x ") + std::to_string(a.size());
    if (a.size() > kMaxSweepTrials / total) too_many = true;
    else total *= a.size();
  }
  if (too_many)
    throw ConfigError(cfg.origin_of("sweep"), "sweep: " + factors + " trials is more than " +
                                                  std::to_string(kMaxSweepTrials) +
                                                  ", the most one experiment expands to; split it into "
                                                  "several experiments (a suite: runs them in turn)");
  std::vector<TrialPoint> points;
  points.reserve(total);
  std::vector<std::size_t> pos(axes.size(), 0);
  for (std::size_t t = 0; t < total; ++t) {
    TrialPoint p;
    p.tree = YAML::Clone(base);
    for (std::size_t a = 0; a < axes.size(); ++a) {
      for (std::size_t k = 0; k < axes[a].keys.size(); ++k) {
        const std::string& key = axes[a].keys[k];
        const YAML::Node& v = axes[a].values[k][pos[a]];
        try {
          set_path(p.tree, key, v);
        } catch (const ConfigError& e) {
          // `a.b` swept while `a` is set to a scalar (in the file or on the command line).
          const std::string parent = key.substr(0, key.rfind('.'));
          throw ConfigError(axes[a].origins[k], "sweep axis '" + key + "': " + e.what() + " (it is set at " +
                                                    cfg.origin_of(parent).where() + ")");
        }
        p.swept.emplace_back(key, v);
        p.origins[key] = axes[a].origins[k];
      }
    }
    points.push_back(std::move(p));
    // Odometer: the last axis moves fastest.
    for (std::size_t a = axes.size(); a-- > 0;) {
      if (++pos[a] < axes[a].size()) break;
      pos[a] = 0;
    }
  }
  return points;
}

}  // namespace qharness
