// Request bodies are strict JSON (docs/SPEC.md, "Job requests"), read by the same rules as a
// workload file's job: a JSON parser reads the body, and the rules read a YAML tree built from
// its values, each node carrying its JSON type and its place in the body.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "spec/yaml_reader.h"

namespace gpufleet {

// The body as a tree for the spec rules; an error in `r` when the body is not one JSON object
// (comments, single quotes, trailing commas, a second value, bytes that are not UTF-8) or goes
// past 32 levels of nesting or 10,000 values, and then an undefined node. `r` then reads scalars
// with their JSON types and places (SpecReader::ReadJson). Duplicate and unknown keys are the
// rules' to refuse: MapReader finds them, with their place.
YAML::Node LoadJsonObject(SpecReader& r, const std::string& body);

}  // namespace gpufleet
