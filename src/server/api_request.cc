#include "server/api_request.h"

#include <algorithm>
#include <charconv>
#include <climits>

namespace gpufleet {

using json = nlohmann::json;

namespace {

std::string PercentDecoded(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      int value = 0;
      const auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
      if (ec == std::errc{} && end == s.data() + i + 3) {
        out += static_cast<char>(value);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

// The query's parameters, each name with its values in order; a malformed one is an error.
Result<std::multimap<std::string, std::string>> QueryParameters(std::string_view query) {
  std::multimap<std::string, std::string> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      if (eq == std::string_view::npos) {
        return Error{"query parameter '" + PercentDecoded(pair) + "': expected NAME=VALUE"};
      }
      out.emplace(PercentDecoded(pair.substr(0, eq)), PercentDecoded(pair.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

Result<std::int64_t> WholeNumber(const std::string& name, const std::string& text, std::int64_t low,
                                 std::int64_t high) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < low || value > high) {
    return Error{"query parameter '" + name + "': expected a whole number from " +
                 std::to_string(low) + " to " + std::to_string(high) + ", got '" + text + "'"};
  }
  return value;
}

Result<std::set<std::string>> StatesListed(const std::string& name, const std::string& value,
                                           const std::set<std::string>& known,
                                           const std::string& expected) {
  std::set<std::string> out;
  std::string_view rest = value;
  while (true) {
    const size_t comma = rest.find(',');
    std::string one(rest.substr(0, comma));
    if (known.count(one) == 0) {
      return Error{"query parameter '" + name + "': expected " + expected + ", got '" + one + "'"};
    }
    out.insert(std::move(one));
    if (comma == std::string_view::npos) return out;
    rest.remove_prefix(comma + 1);
  }
}

// The id in "/v1/jobs/{id}...", or nullopt when it is not a job id.
std::optional<JobId> JobIdOf(std::string_view text) {
  JobId id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id < 0) return std::nullopt;
  return id;
}

bool ValidIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > 128) return false;
  return std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// --- agent bodies: strict JSON, every key known, every value of its type ---

// The body as a JSON object whose keys are all in `known`; an error says what is wrong.
Result<json> JsonObject(const std::string& body, std::initializer_list<const char*> known) {
  // Strict as job requests are (docs/SPEC.md): a duplicate key is refused, not read as its last
  // value, and nesting is bounded.
  constexpr int kMaxDepth = 32;
  std::vector<std::set<std::string>> keys;  // per open object
  std::string problem;
  const json::parser_callback_t strict = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > kMaxDepth && problem.empty())
      problem = "the body: nested deeper than " + std::to_string(kMaxDepth) + " levels";
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == json::parse_event_t::key && !keys.empty() &&
        !keys.back().insert(parsed.get<std::string>()).second && problem.empty())
      problem = "field '" + parsed.get<std::string>() + "': given twice";
    return true;
  };
  json value = json::parse(body, strict, false);
  if (value.is_discarded()) return Error{"the body is not valid JSON"};
  if (!problem.empty()) return Error{problem};
  if (!value.is_object()) return Error{"the body: expected a JSON object"};
  for (const auto& item : value.items()) {
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return item.key() == k; })) {
      std::string expected;
      for (const char* k : known) expected += (expected.empty() ? "" : ", ") + std::string(k);
      return Error{"field '" + item.key() + "': unknown key; expected one of: " + expected};
    }
  }
  return value;
}

Result<std::string> StringField(const json& object, const std::string& where, const char* key,
                                bool required) {
  if (!object.contains(key)) {
    if (required) return Error{"field '" + where + key + "': required"};
    return std::string();
  }
  const json& v = object[key];
  if (!v.is_string()) return Error{"field '" + where + key + "': expected a string"};
  const std::string& text = v.get_ref<const std::string&>();
  if (text.size() > 4096) return Error{"field '" + where + key + "': at most 4096 bytes"};
  return text;
}

Result<std::int64_t> IntField(const json& object, const std::string& where, const char* key,
                              bool required, std::int64_t low, std::int64_t high) {
  if (!object.contains(key)) {
    if (required) return Error{"field '" + where + key + "': required"};
    return low;
  }
  const json& v = object[key];
  const std::string range = std::to_string(low) + " to " + std::to_string(high);
  if (!v.is_number_integer()) {
    return Error{"field '" + where + key + "': expected a whole number from " + range};
  }
  const bool in_range = v.is_number_unsigned()
                            ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(high)
                            : (v.get<std::int64_t>() >= low && v.get<std::int64_t>() <= high);
  if (!in_range) return Error{"field '" + where + key + "': expected a whole number from " + range};
  return v.get<std::int64_t>();
}

Result<std::vector<JobReport>> Reports(const json& body) {
  std::vector<JobReport> out;
  if (!body.contains("jobs")) return out;
  const json& jobs = body["jobs"];
  if (!jobs.is_array() || jobs.size() > 4096) {
    return Error{"field 'jobs': expected a list of at most 4096 jobs"};
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    const json& j = jobs[i];
    const std::string where = "jobs[" + std::to_string(i) + "].";
    if (!j.is_object()) return Error{"field 'jobs[" + std::to_string(i) + "]': expected an object"};
    for (const auto& item : j.items()) {
      static const std::set<std::string> kKnown = {"id",     "epoch",   "state", "exit_code",
                                                   "signal", "message", "lost"};
      if (kKnown.count(item.key()) == 0) {
        return Error{"field '" + where + item.key() +
                     "': unknown key; expected id, epoch, state, exit_code, signal, message or "
                     "lost"};
      }
    }
    JobReport r;
    Result<std::int64_t> id = IntField(j, where, "id", true, 0, std::int64_t{1} << 62);
    if (!id.ok()) return id.error();
    Result<std::int64_t> epoch = IntField(j, where, "epoch", true, 0, 0xffffffffLL);
    if (!epoch.ok()) return epoch.error();
    Result<std::string> state = StringField(j, where, "state", true);
    if (!state.ok()) return state.error();
    r.id = id.value();
    r.epoch = static_cast<Epoch>(epoch.value());
    if (state.value() == "running") {
      r.kind = JobReport::Kind::kRunning;
    } else if (state.value() == "exited") {
      r.kind = JobReport::Kind::kExited;
    } else if (state.value() == "start_failed") {
      r.kind = JobReport::Kind::kStartFailed;
    } else {
      return Error{"field '" + where + "state': expected running, exited or start_failed, got '" +
                   state.value() + "'"};
    }
    if (j.contains("exit_code")) {
      Result<std::int64_t> code = IntField(j, where, "exit_code", true, 0, 255);
      if (!code.ok()) return code.error();
      r.exit_code = static_cast<int>(code.value());
    }
    if (j.contains("signal")) {
      Result<std::int64_t> sig = IntField(j, where, "signal", true, 1, 128);
      if (!sig.ok()) return sig.error();
      r.signal = static_cast<int>(sig.value());
    }
    Result<std::string> message = StringField(j, where, "message", false);
    if (!message.ok()) return message.error();
    r.message = message.value();
    if (j.contains("lost")) {
      if (!j["lost"].is_boolean())
        return Error{"field '" + where + "lost': expected true or false"};
      if (j["lost"].get<bool>() && r.message.empty()) r.message = "lost by its agent";
    }
    if (r.kind == JobReport::Kind::kExited && !r.exit_code && !r.signal && r.message.empty()) {
      return Error{"field '" + where + "exit_code': an exited job has an exit_code or a signal"};
    }
    out.push_back(std::move(r));
  }
  return out;
}

json OrdersJson(const NodeOrders& orders) {
  json start = json::array(), stop = json::array();
  for (const StartOrder& o : orders.start) {
    json env = json::object();
    for (const auto& [k, v] : o.env) env[k] = v;
    start.push_back({{"id", o.id},
                     {"epoch", o.epoch},
                     {"command", o.command},
                     {"gpus", o.gpus},
                     {"grace_s", static_cast<double>(o.grace) / 1000.0},
                     {"duration_s", static_cast<double>(o.duration) / 1000.0},
                     {"env", env}});
  }
  for (const StopOrder& o : orders.stop) {
    stop.push_back(
        {{"id", o.id}, {"epoch", o.epoch}, {"grace_s", static_cast<double>(o.grace) / 1000.0}});
  }
  return json{{"start", start}, {"stop", stop}};
}

}  // namespace gpufleet
