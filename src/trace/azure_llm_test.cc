#include "trace/azure_llm.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "model/catalog.h"
#include "physics/model_preset.h"
#include "physics/serving_service.h"
#include "public_traces.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

constexpr const char* kHeader = "TIMESTAMP,ContextTokens,GeneratedTokens\n";

TEST(AzureLlmTrace, ReadsRequestsInTimeOrderFromTheFirst) {
  testing::ScratchDir dir;
  // The third row arrives before the second: sorted. Times relative to the first, 0.5 s apart.
  const std::string path = dir.Write("t.csv", std::string(kHeader) +
                                                  "2023-11-16 18:17:03.5000000,4808,10\n"
                                                  "2023-11-16 18:17:05.0000000,100,7\n"
                                                  "2023-11-16 18:17:04.0000000,3180,8\n");
  const Result<std::vector<ServingRequest>> r = LoadAzureLlmTrace(path);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r.value().size(), 3u);
  EXPECT_DOUBLE_EQ(r.value()[0].arrival_s, 0);
  EXPECT_EQ(r.value()[0].prompt_tokens, 4808);
  EXPECT_EQ(r.value()[0].output_tokens, 10);
  EXPECT_NEAR(r.value()[1].arrival_s, 0.5, 1e-6);
  EXPECT_EQ(r.value()[1].prompt_tokens, 3180);
  EXPECT_NEAR(r.value()[2].arrival_s, 1.5, 1e-6);

  // Twice the rate: gaps halved; a duration of 0.5 s keeps the first two.
  const Result<std::vector<ServingRequest>> fast = LoadAzureLlmTrace(path, {2, 0.5});
  ASSERT_TRUE(fast.ok()) << fast.message();
  ASSERT_EQ(fast.value().size(), 2u);
  EXPECT_NEAR(fast.value()[1].arrival_s, 0.25, 1e-6);
}

TEST(AzureLlmTrace, ABadRowIsNamedByFileLineAndField) {
  testing::ScratchDir dir;
  const std::string negative =
      dir.Write("neg.csv",
                std::string(kHeader) + "2023-11-16 18:17:03.5,4808,10\n2023-11-16 18:17:04,-5,7\n");
  const Result<std::vector<ServingRequest>> r = LoadAzureLlmTrace(negative);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("neg.csv:3:"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("field 'ContextTokens'"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("expected a token count of at least 1, got -5"), std::string::npos)
      << r.message();

  const std::string zero =
      dir.Write("zero.csv", std::string(kHeader) + "2023-11-16 18:17:03.5,48,0\n");
  const Result<std::vector<ServingRequest>> z = LoadAzureLlmTrace(zero);
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.message().find("field 'GeneratedTokens'"), std::string::npos) << z.message();

  const std::string time = dir.Write("time.csv", std::string(kHeader) + "yesterday,48,5\n");
  const Result<std::vector<ServingRequest>> t = LoadAzureLlmTrace(time);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find("time.csv:2:1: field 'TIMESTAMP': expected a timestamp"),
            std::string::npos)
      << t.message();

  const std::string extra =
      dir.Write("extra.csv", std::string(kHeader) + "2023-11-16 18:17:03.5,48,5,9\n");
  const Result<std::vector<ServingRequest>> x = LoadAzureLlmTrace(extra);
  ASSERT_FALSE(x.ok());
  EXPECT_NE(x.message().find("extra.csv:2: expected 3 fields as the header has, got 4"),
            std::string::npos)
      << x.message();

  const std::string missing = dir.Write("missing.csv", "TIMESTAMP,ContextTokens\nx,1\n");
  const Result<std::vector<ServingRequest>> m = LoadAzureLlmTrace(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.message().find("GeneratedTokens"), std::string::npos) << m.message();

  EXPECT_FALSE(LoadAzureLlmTrace(negative, {0, 0}).ok());
  EXPECT_FALSE(LoadAzureLlmTrace(dir.Path("none.csv")).ok());
}

TEST(AzureLlmTrace, TheConversationTraceOnLlama3_70b) {
  REQUIRE_TRACE_FILE(path, "azure-llm-2023/AzureLLMInferenceTrace_conv.csv");
  // Derivation (awk over the file): 19,366 requests, prompts averaging 1,154.7 tokens (at most
  // 14,050), outputs 211.126 (at most 992), from 18:15:46.68 to 19:14:08.40 (3,501.7 s).
  const Result<std::vector<ServingRequest>> r = LoadAzureLlmTrace(path);
  ASSERT_TRUE(r.ok()) << r.message();
  const std::vector<ServingRequest>& requests = r.value();
  ASSERT_EQ(requests.size(), 19366u);
  double prompt = 0, output = 0;
  for (const ServingRequest& q : requests) {
    prompt += q.prompt_tokens;
    output += q.output_tokens;
  }
  EXPECT_NEAR(prompt / 19366, 1154.7, 0.05);
  EXPECT_NEAR(output / 19366, 211.126, 0.001);
  EXPECT_NEAR(requests.back().arrival_s, 3501.72, 0.01);

  // Its first ten minutes at ten times the rate (~55 requests/s) on Llama 3 70B, fp8, TP 2 on
  // H100: the fewest replicas for p99 TTFT <= 2 s and TPOT <= 50 ms, and one fewer misses.
  const Result<std::vector<ServingRequest>> fast = LoadAzureLlmTrace(path, {10, 600});
  ASSERT_TRUE(fast.ok()) << fast.message();
  ServedModel llama;
  llama.model = FindModelPreset("llama3-70b")->job.model;
  const ReplicaModel replica = ReplicaModel::Make(llama, *FindGpuModel("h100"), 2).value();
  const Result<ServiceRun> best = FewestReplicasMeeting(replica, {}, fast.value(), {}, 64);
  ASSERT_TRUE(best.ok()) << best.message();
  const ServiceRun& v = best.value();
  std::printf("conversation x10: %d replicas, p99 TTFT %.3f s, p99 TPOT %.4f s, %.0f tokens/s\n",
              v.replicas, v.ttft.p99, v.tpot.p99, double(v.output_tokens) / v.span_s);
  EXPECT_TRUE(v.slo_met);
  EXPECT_EQ(v.output_tokens, [&] {
    std::int64_t n = 0;
    for (const ServingRequest& q : fast.value()) n += q.output_tokens;
    return n;
  }());
  EXPECT_FALSE(ServeOnReplicas(replica, {}, v.replicas - 1, fast.value(), {}).value().slo_met);
}

}  // namespace
}  // namespace gpufleet
