#include "agent/nvml.h"

#include <dlfcn.h>

#include "util/text.h"

namespace gpufleet::agent {
namespace {

// NVML's C interface, the few parts used here (nvml.h of the CUDA toolkit; stable ABI).
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr int kNvmlTemperatureGpu = 0;
constexpr unsigned kNameBuffer = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE
constexpr unsigned kUuidBuffer = 96;  // NVML_DEVICE_UUID_V2_BUFFER_SIZE

struct Nvml {
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*count)(unsigned*) = nullptr;
  nvmlReturn_t (*handle_by_index)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  nvmlReturn_t (*power)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned*) = nullptr;

  std::string Describe(nvmlReturn_t rc) const {
    const char* text = error_string != nullptr ? error_string(rc) : nullptr;
    return text != nullptr ? text : "NVML error " + std::to_string(rc);
  }
};

template <typename F>
bool Resolve(void* lib, const char* symbol, F& out, std::string& missing) {
  out = reinterpret_cast<F>(dlsym(lib, symbol));
  if (out == nullptr) missing += std::string(missing.empty() ? "" : ", ") + symbol;
  return out != nullptr;
}

struct Library {
  void* handle = nullptr;
  ~Library() {
    if (handle != nullptr) dlclose(handle);
  }
};

}  // namespace

GpuInventory ReadGpuInventory(const std::string& library) {
  GpuInventory inventory;
  Library lib;
  lib.handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib.handle == nullptr) {
    const char* why = dlerror();
    inventory.unavailable_reason =
        "no NVIDIA driver library: " + std::string(why != nullptr ? why : library);
    return inventory;
  }
  Nvml nvml;
  std::string missing;
  Resolve(lib.handle, "nvmlInit_v2", nvml.init, missing);
  Resolve(lib.handle, "nvmlShutdown", nvml.shutdown, missing);
  Resolve(lib.handle, "nvmlErrorString", nvml.error_string, missing);
  Resolve(lib.handle, "nvmlDeviceGetCount_v2", nvml.count, missing);
  Resolve(lib.handle, "nvmlDeviceGetHandleByIndex_v2", nvml.handle_by_index, missing);
  Resolve(lib.handle, "nvmlDeviceGetName", nvml.name, missing);
  Resolve(lib.handle, "nvmlDeviceGetUUID", nvml.uuid, missing);
  Resolve(lib.handle, "nvmlDeviceGetMemoryInfo", nvml.memory, missing);
  Resolve(lib.handle, "nvmlDeviceGetPowerUsage", nvml.power, missing);
  Resolve(lib.handle, "nvmlDeviceGetTemperature", nvml.temperature, missing);
  if (!missing.empty()) {
    inventory.unavailable_reason = library + " lacks " + missing + " (a driver too old?)";
    return inventory;
  }
  inventory.nvml_loaded = true;
  if (nvmlReturn_t rc = nvml.init(); rc != kNvmlSuccess) {
    inventory.unavailable_reason = "nvmlInit: " + nvml.Describe(rc);
    return inventory;
  }
  unsigned count = 0;
  if (nvmlReturn_t rc = nvml.count(&count); rc != kNvmlSuccess) {
    inventory.unavailable_reason = "nvmlDeviceGetCount: " + nvml.Describe(rc);
  }
  for (unsigned i = 0; i < count && inventory.unavailable_reason.empty(); ++i) {
    nvmlDevice_t device = nullptr;
    if (nvmlReturn_t rc = nvml.handle_by_index(i, &device); rc != kNvmlSuccess) {
      inventory.unavailable_reason =
          "nvmlDeviceGetHandleByIndex(" + std::to_string(i) + "): " + nvml.Describe(rc);
      break;
    }
    GpuInfo gpu;
    gpu.index = static_cast<int>(i);
    char name[kNameBuffer] = {};
    if (nvml.name(device, name, kNameBuffer) == kNvmlSuccess) gpu.name = name;
    char uuid[kUuidBuffer] = {};
    if (nvml.uuid(device, uuid, kUuidBuffer) == kNvmlSuccess) gpu.uuid = uuid;
    nvmlMemory_t memory{};
    if (nvml.memory(device, &memory) == kNvmlSuccess) {
      gpu.memory_total_bytes = memory.total;
      gpu.memory_used_bytes = memory.used;
    }
    // Power and temperature are facts some devices do not report: 0 then, not an error.
    unsigned milliwatts = 0;
    if (nvml.power(device, &milliwatts) == kNvmlSuccess) gpu.power_milliwatts = milliwatts;
    unsigned celsius = 0;
    if (nvml.temperature(device, kNvmlTemperatureGpu, &celsius) == kNvmlSuccess)
      gpu.temperature_c = celsius;
    inventory.gpus.push_back(std::move(gpu));
  }
  nvml.shutdown();
  if (!inventory.unavailable_reason.empty()) inventory.gpus.clear();
  return inventory;
}

std::string ModelFromDeviceName(const std::string& name) {
  std::string_view rest(name);
  for (std::string_view prefix : {"NVIDIA ", "Tesla "}) {
    if (rest.substr(0, prefix.size()) == prefix) rest.remove_prefix(prefix.size());
  }
  const size_t end = rest.find_first_of(" -");
  return std::string(rest.substr(0, end));
}

Result<NodeGpus> ReconcileGpus(const GpuInventory& inventory, int declared_gpus,
                               const std::string& declared_model) {
  if (inventory.gpus.empty()) {
    if (declared_gpus <= 0 || declared_model.empty())
      return Error{"no GPUs found (" +
                   (inventory.unavailable_reason.empty() ? std::string("NVML lists none")
                                                         : inventory.unavailable_reason) +
                   "): give --gpus and --gpu-model"};
    return NodeGpus{declared_gpus, declared_model};
  }
  const std::string model = ModelFromDeviceName(inventory.gpus.front().name);
  for (const GpuInfo& gpu : inventory.gpus) {
    if (ModelFromDeviceName(gpu.name) != model)
      return Error{"GPUs of two models on one node: '" + inventory.gpus.front().name + "' and '" +
                   gpu.name + "'"};
  }
  const int found = static_cast<int>(inventory.gpus.size());
  if (declared_gpus > 0 && declared_gpus != found)
    return Error{"--gpus " + std::to_string(declared_gpus) + " but NVML finds " +
                 std::to_string(found) + " GPUs"};
  if (!declared_model.empty() && Lowercase(declared_model) != Lowercase(model))
    return Error{"--gpu-model " + declared_model + " but NVML finds '" +
                 inventory.gpus.front().name + "' (model " + model + ")"};
  // The declared spelling, when given, is the one the fleet spec uses.
  return NodeGpus{found, declared_model.empty() ? model : declared_model};
}

}  // namespace gpufleet::agent
