// Where a training job's parallel groups sit in the network (docs/MODELS.md, "Step time").
//
// Ranks are laid out in the Llama 3 order [TP, CP, PP, DP] from innermost to outermost (Llama 3
// §3.3.2) over the allocation's GPUs in node order: rank r is the r-th GPU of the allocation.
// For each parallel dimension this finds the slowest tier one of its groups crosses, the worst
// uplink oversubscription on the way, and how much the groups' ring traffic overloads the uplinks
// it crosses when they all communicate at once (a scattered job loads few-GPU subtrees with many
// flows: the fragmentation slowdown of Meta's SIGCOMM'24 RoCE paper).
#pragma once

#include <cstdint>

#include "model/allocation.h"
#include "model/fleet.h"
#include "util/result.h"

namespace gpufleet {

// Network tiers, innermost first.
enum class Tier : std::uint8_t { kNvlink = 0, kLeaf, kPod, kSite, kCrossSite };
inline constexpr int kTiers = 5;
const char* TierName(Tier tier);

// Typical latency alpha of one message on a tier (REFERENCE.md "typical alpha": NVLink ~1 us; IB
// same rack 1-2 us; cross-rack 3-5 us; large-cluster DP/PP paths up to tens of us). Across sites
// 1 ms is an assumption (metro fibre ~100 km: 0.5 ms one way, plus switching and routing).
double TierAlphaSeconds(Tier tier);

// Achieved fraction of a link's line rate by collectives (an assumption: NCCL's bus bandwidth on
// large messages is typically ~80% of the line rate; REFERENCE.md gives no figure).
inline constexpr double kLinkEfficiency = 0.8;

struct Parallelism {
  int tp = 1, cp = 1, pp = 1, dp = 1;
  std::int64_t Gpus() const {
    return std::int64_t{tp} * std::int64_t{cp} * std::int64_t{pp} * std::int64_t{dp};
  }
};

// What the groups of one parallel dimension span.
struct GroupSpan {
  Tier tier = Tier::kNvlink;   // slowest tier any group crosses (kNvlink for groups of one)
  float oversubscription = 1;  // worst uplink oversubscription a group's traffic crosses
  double congestion = 1;       // >= 1: bandwidth divisor from uplinks overloaded by ring flows
};

// Data parallelism runs as NCCL runs it on nodes with a NIC per GPU (docs/MODELS.md, "Data
// parallelism"): the dp_local consecutive DP ranks that share an NVLink domain reduce among
// themselves over NVLink (`dp_local_span`), and then each of them carries 1/dp_local of the buffer
// across the network in a ring of DP / dp_local ranks (`dp`), so that a node's gradient leaves it
// once, over all its NICs, not once per GPU. dp_local is 1 when one DP rank fills a domain or
// more (TP x CP x PP >= its GPUs): `dp` is then the plain DP ring.
struct PlacementSpans {
  GroupSpan tp, cp, pp, dp;
  int dp_local = 1;
  GroupSpan dp_local_span;
};

// DP ranks that share one NVLink domain of `domain_gpus` when ranks are laid out [TP, CP, PP, DP]:
// gcd(DP, domain / (TP x CP x PP)) when TP x CP x PP divides the domain, else 1.
int DataParallelRanksPerDomain(const Parallelism& parallel, int domain_gpus);

// Spans of each dimension when the first parallel.Gpus() GPUs of `allocation` run the job.
// Cost O(GPUs x levels) per dimension, no heap allocation. Error if the allocation is too small.
Result<PlacementSpans> SpansOf(const Fleet& fleet, const Allocation& allocation,
                               const Parallelism& parallel);

// Per-GPU link figures of the hardware a job runs on.
struct LinkFigures {
  double nvlink_bytes_s = 0;     // per direction
  double scale_out_bytes_s = 0;  // per direction (NIC per GPU)
};
// The slowest NIC and NVLink among the allocation's nodes. A node type without a NIC figure
// takes the built-in node type of the same GPU, else 12.5 GB/s (100 Gb/s Ethernet, an assumption).
LinkFigures LinksOf(const Fleet& fleet, const Allocation& allocation);

// Effective per-direction bandwidth (bytes/s) of a dimension's collectives given its span.
double EffectiveBandwidth(const LinkFigures& links, const GroupSpan& span);

}  // namespace gpufleet
