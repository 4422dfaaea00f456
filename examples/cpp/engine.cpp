// engine: a C++ engine using specrt through the RAII wrapper (include/specrt.hpp).
//
// At start it scans its own asset bundle for secrets with the pattern scanner. Each frame it
// dispatches the "records" kernels of examples/kernels/ through the
// prefilter/confirm entry point (the speculator picks fused or serial), and times both variants
// into a paired window that decides whether to adopt the fused one; the winner is kept in an
// autotune store file, so the next run starts from it.
//
// Usage: engine KERNEL_DIR [STORE_FILE]
#include <chrono>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "specrt.hpp"

namespace {

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Records {u32 key, u32 value}; a third of the keys in a hit tile pass the cheap check.
std::vector<uint8_t> make_records(size_t count, unsigned hit_pct, uint64_t seed) {
    std::vector<uint8_t> out(count * 8);
    uint64_t s = seed * 2 + 1;
    bool hit = false;
    for (size_t i = 0; i < count; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        if (i % 64 == 0) hit = (s >> 32) % 100 < hit_pct;
        uint32_t key = (static_cast<uint32_t>(s) & ~0xffu) | ((hit && i % 3 == 0) ? 0x5au : 0x11u);
        uint32_t value = static_cast<uint32_t>(s >> 16);
        std::memcpy(&out[i * 8], &key, 4);
        std::memcpy(&out[i * 8 + 4], &value, 4);
    }
    return out;
}

}  // namespace

int main(int argc, char **argv) try {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s KERNEL_DIR [STORE_FILE]\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1], store_path = argc > 2 ? argv[2] : "engine-autotune.toml";
    specrt::Context ctx;
    std::printf("specrt %s on %s (%s)\n", specrt::version().c_str(), ctx.adapter_info().name,
                ctx.adapter_id().c_str());

    // Scan the engine's asset bundle (here: a generated one) for leaked secrets, with rules
    // kept as YARA source in the "secrets" namespace; the key rules come from an include the
    // engine serves from memory.
    const char *secret_rules = R"(
        include "keys.yar"
        rule password { strings: $p = "password=" ascii wide nocase condition: #p >= 1 }
        rule big_bundle_with_secret { condition: filesize > 512KB and (aws_access_key or password) }
    )";
    specrt::Compiler compiler;
    compiler.set_includes([](const std::string &name, const std::string &) -> std::optional<std::string> {
        if (name != "keys.yar") return std::nullopt;
        return std::string(R"(
            rule aws_access_key { strings: $k = "AKIA" condition: $k }
            rule rsa_private_key { strings: $b = "-----BEGIN RSA PRIVATE KEY-----" condition: $b }
        )");
    });
    compiler.add_source(secret_rules, "secrets", "secrets.yar");
    specrt::Scanner scanner(&ctx, compiler.build());
    std::string bundle(1 << 20, '.');
    bundle.replace(1000, 20, "AKIAIOSFODNN7EXAMPLE");
    bundle.replace(500000, 16, "PassWord=hunter2");
    specrt::ScanResult found = scanner.scan(bundle);
    for (const specrt_match &m : found) {
        std::printf("asset scan: %s %s at offset %llu\n", scanner.rule_info(m.rule_id).name,
                    scanner.string_info(m.rule_id, m.string_id).name,
                    static_cast<unsigned long long>(m.offset));
    }
    for (uint32_t rule : found.rules()) {
        specrt_rule_info info = scanner.rule_info(rule);
        std::printf("asset scan: rule %s:%s matched\n", info.namespace_, info.name);
    }
    if (found.size() != 2 || found.rules().size() != 3) {
        throw std::runtime_error("the asset scan missed a planted secret");
    }

    using specrt::size_rule;
    const auto per_tile = size_rule(0, 0, 1, 1, 512);  // one workgroup per 64 records
    specrt::Program fused(ctx, read_file(dir + "/records_fused.wgsl"), "fused", 1,
                          {size_rule(8, 0, 4, 1, 8)}, per_tile);
    specrt::Program prefilter(ctx, read_file(dir + "/records_prefilter.wgsl"), "prefilter", 1,
                              {size_rule(8, 0, 4, 1, 512)}, per_tile);
    specrt::Program confirm(ctx, read_file(dir + "/records_confirm.wgsl"), "confirm", 2,
                            {size_rule(0, 0, 4, 1, 8)}, per_tile);
    specrt_dispatch_plan plan{fused.get(), prefilter.get(), 0, true, 0};
    auto run_confirm = [&](specrt::ConfirmIo &io) {
        specrt::ByteSpan mask = io.prefilter_output(0);
        specrt::ByteSpan tiles(mask.data(), mask.size() - SPECRT_COUNTER_TAIL_LEN);
        specrt::Outcome out = specrt::dispatch(ctx, confirm, {io.input(0), tiles});
        io.set_output(0, out.output(0));
    };

    specrt::Speculator speculator;
    specrt::AutotuneStore store = specrt::AutotuneStore::load(store_path);
    specrt::PairedWindow window;
    specrt_spec_cache_key serial_key{0x5e71a1, 1, {64, 1, 1}, 0};
    specrt_spec_cache_key fused_key{0xf05ed, 1, {64, 1, 1}, 0};
    auto known = store.get(fused_key, ctx.adapter_id());
    if (!known) known = store.get(serial_key, ctx.adapter_id());
    if (known) {
        std::printf("autotune store already has a winner for this adapter (unroll %u): no race\n",
                    known->unroll);
    }
    bool racing = !known;
    for (int frame = 0; frame < 16; frame++) {
        auto records = make_records(64 * 2048, frame < 8 ? 70 : 2, frame);
        auto t0 = std::chrono::steady_clock::now();
        specrt::Outcome out = specrt::dispatch_prefilter_confirm(
            ctx, speculator, plan, {records}, SPECRT_SPECULATION_AUTO, run_confirm);
        auto dt = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now() - t0).count();
        std::printf("frame %2d: %-6s %7.1f us  EMA %5.1f %%\n", frame,
                    out.path() == SPECRT_PATH_FUSED ? "fused" : "serial", dt / 1e3,
                    speculator.commit_rate_ppm() / 1e4);
        if (!racing) continue;
        // Race the two variants on the same frame and let the paired window judge.
        auto time = [&](specrt_speculation_mode mode) {
            auto start = std::chrono::steady_clock::now();
            specrt::dispatch_prefilter_confirm(ctx, speculator, plan, {records}, mode, run_confirm);
            return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::steady_clock::now() - start).count());
        };
        specrt_variant_race sample{};
        sample.conservative_dispatch_ns = time(SPECRT_SPECULATION_DISABLE);
        sample.speculative_dispatch_ns = time(SPECRT_SPECULATION_FORCE);
        sample.conservative_record.workgroup_size[0] = 64;
        sample.speculative_record.workgroup_size[0] = 64;
        sample.speculative_record.unroll = 1;
        specrt_paired_update u = window.record_sample(store, serial_key, fused_key,
                                                      ctx.adapter_id(), sample);
        if (u.verdict != SPECRT_VERDICT_KEEP_RACING) {
            std::printf("paired window after %u pairs: %s the fused variant\n", window.size(),
                        u.verdict == SPECRT_VERDICT_ADOPT ? "ADOPT" : "REJECT");
            racing = false;
        }
    }
    std::printf("autotune store %s (%zu records)\n",
                store.save_if_dirty(store_path) ? "saved" : "unchanged", store.size());
    return 0;
} catch (const specrt::Error &e) {
    std::fprintf(stderr, "specrt error %d: %s\n", e.status(), e.what());
    return 1;
} catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
