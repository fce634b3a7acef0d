// Reading the API's requests (docs/API.md): query parameters, ids, and the agents' bodies - strict
// JSON, every key known, every value of its type - and writing the agents' orders. Errors are
// kInvalidArgument with the parameter or field named.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/control_plane.h"
#include "util/result.h"

namespace gpufleet {

// The query's parameters, each name with its values in order; a malformed one is an error.
Result<std::multimap<std::string, std::string>> QueryParameters(std::string_view query);

// A whole number from `low` to `high` given as query parameter `name`.
Result<std::int64_t> WholeNumber(const std::string& name, const std::string& text, std::int64_t low,
                                 std::int64_t high);

// The values of query parameter `name`, comma-separated, each one of `known` (else an error
// naming it and what was `expected`).
Result<std::set<std::string>> StatesListed(const std::string& name, const std::string& value,
                                           const std::set<std::string>& known,
                                           const std::string& expected);

// The id in "/v1/jobs/{id}...", or nullopt when it is not a job id.
std::optional<JobId> JobIdOf(std::string_view text);

// 1 to 128 printable ASCII characters, no space.
bool ValidIdempotencyKey(std::string_view key);

// The body as a JSON object whose keys are all in `known`; an error says what is wrong.
Result<nlohmann::json> JsonObject(const std::string& body,
                                  std::initializer_list<const char*> known);

// Field `key` of `object` (`where` prefixes its name in messages), a string; "" when absent and
// not required.
Result<std::string> StringField(const nlohmann::json& object, const std::string& where,
                                const char* key, bool required);

// Field `key` of `object`, a whole number from `low` to `high`; `low` when absent and not required.
Result<std::int64_t> IntField(const nlohmann::json& object, const std::string& where,
                              const char* key, bool required, std::int64_t low, std::int64_t high);

// The `jobs` of an agent's sync: what it runs, and what ended since.
Result<std::vector<JobReport>> Reports(const nlohmann::json& body);

// The orders for a node, as the sync's answer.
nlohmann::json OrdersJson(const NodeOrders& orders);

}  // namespace gpufleet
