// The openb study's inputs (experiment/openb.h LoadOpenbNodes, LoadOpenbPods; `gpufleet
// experiment openb --nodes F --pods F`), which read the machine and pod lists with their own
// rules: any bytes give a cluster and pods, or an error that names the file. The input is the node
// list, a line `%%`, then the pod list (fuzz_support.h). What loads is checked as the study uses
// it: every pod's models name a model of the cluster, every node's model too.
#include <string>

#include "experiment/openb.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  const std::vector<std::string_view> files = SplitFiles(Input(data, size));
  const std::string nodes_path = WriteScratch("nodes.csv", files[0]);
  const std::string pods_path =
      WriteScratch("pods.csv", files.size() > 1 ? files[1] : std::string_view());
  NeverThrows("LoadOpenbNodes", [&] {
    Result<OpenbCluster> cluster = LoadOpenbNodes(nodes_path);
    if (!cluster.ok()) {
      CheckError("LoadOpenbNodes", cluster.message(), nodes_path);
      return;
    }
    const OpenbCluster& c = cluster.value();
    for (const SharedNode& n : c.nodes) {
      if (!n.gpu_free.empty() && (n.model < 0 || static_cast<size_t>(n.model) >= c.models.size()))
        Broken("LoadOpenbNodes", "a node whose model is not in the cluster's list");
    }
    const Result<std::vector<OpenbPod>> pods = LoadOpenbPods(pods_path, cluster.value());
    if (!pods.ok()) {
      CheckError("LoadOpenbPods", pods.message(), pods_path);
      return;
    }
    for (const OpenbPod& p : pods.value()) {
      for (int m : p.request.models) {
        if (m < 0 || static_cast<size_t>(m) >= cluster.value().models.size())
          Broken("LoadOpenbPods", "a pod that names a model not in the cluster's list");
      }
    }
  });
  return 0;
}
