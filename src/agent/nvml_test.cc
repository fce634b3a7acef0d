#include "agent/nvml.h"

#include <gtest/gtest.h>

namespace gpufleet::agent {
namespace {

TEST(Nvml, AbsentLibraryIsSaidNotFatal) {
  const GpuInventory inventory = ReadGpuInventory("libnvidia-ml-does-not-exist.so.1");
  EXPECT_FALSE(inventory.nvml_loaded);
  EXPECT_TRUE(inventory.gpus.empty());
  EXPECT_NE(inventory.unavailable_reason.find("no NVIDIA driver library"), std::string::npos)
      << inventory.unavailable_reason;
}

TEST(Nvml, ALibraryWithoutNvmlIsRefusedByName) {
  // libc is there on every machine and has none of NVML's symbols.
  const GpuInventory inventory = ReadGpuInventory("libc.so.6");
  EXPECT_TRUE(inventory.gpus.empty());
  EXPECT_NE(inventory.unavailable_reason.find("lacks nvmlInit_v2"), std::string::npos)
      << inventory.unavailable_reason;
}

TEST(Nvml, ModelFromDeviceName) {
  EXPECT_EQ(ModelFromDeviceName("NVIDIA H100 80GB HBM3"), "H100");
  EXPECT_EQ(ModelFromDeviceName("NVIDIA A100-SXM4-80GB"), "A100");
  EXPECT_EQ(ModelFromDeviceName("NVIDIA GB200"), "GB200");
  EXPECT_EQ(ModelFromDeviceName("Tesla V100-SXM2-32GB"), "V100");
  EXPECT_EQ(ModelFromDeviceName("NVIDIA H200"), "H200");
}

TEST(Nvml, WithoutInventoryTheDeclaredValuesAreRequired) {
  GpuInventory none;
  none.unavailable_reason = "no NVIDIA driver library: x";
  EXPECT_FALSE(ReconcileGpus(none, 0, "").ok());
  EXPECT_FALSE(ReconcileGpus(none, 8, "").ok());
  Result<NodeGpus> declared = ReconcileGpus(none, 8, "GB200");
  ASSERT_TRUE(declared.ok());
  EXPECT_EQ(declared.value().gpus, 8);
  EXPECT_EQ(declared.value().model, "GB200");
}

TEST(Nvml, DeclaredValuesMustAgreeWithTheInventory) {
  GpuInventory found;
  found.nvml_loaded = true;
  for (int i = 0; i < 4; ++i) found.gpus.push_back({i, "NVIDIA H100 80GB HBM3", "", 0, 0, 0, 0});
  Result<NodeGpus> from_nvml = ReconcileGpus(found, 0, "");
  ASSERT_TRUE(from_nvml.ok());
  EXPECT_EQ(from_nvml.value().gpus, 4);
  EXPECT_EQ(from_nvml.value().model, "H100");
  EXPECT_EQ(ReconcileGpus(found, 4, "h100").value().model, "h100");
  Result<NodeGpus> wrong_count = ReconcileGpus(found, 8, "");
  ASSERT_FALSE(wrong_count.ok());
  EXPECT_EQ(wrong_count.message(), "--gpus 8 but NVML finds 4 GPUs");
  EXPECT_FALSE(ReconcileGpus(found, 0, "B200").ok());
  found.gpus.push_back({4, "NVIDIA A100-SXM4-80GB", "", 0, 0, 0, 0});
  EXPECT_FALSE(ReconcileGpus(found, 0, "").ok());
}

}  // namespace
}  // namespace gpufleet::agent
