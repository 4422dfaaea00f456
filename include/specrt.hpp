// specrt.hpp: a header-only C++17 wrapper of specrt.h.
//
// - One move-only RAII class per handle (policy objects, GPU context and programs, rule sets,
//   scanners and results); the C handle is released in the destructor.
// - Errors are thrown as specrt::Error, which carries the status and the library's message.
// - Buffers are passed as specrt::ByteSpan (from a pointer and size or any contiguous container
//   of bytes); callbacks are lambdas. An exception thrown by a callback stops the call and is
//   rethrown to the caller after specrt has returned; it never unwinds through C frames.
// - Everything in specrt.h stays available for what the wrapper does not cover.
#ifndef SPECRT_HPP
#define SPECRT_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "specrt.h"

namespace specrt {

/// A failed specrt call: its status code and message.
class Error : public std::runtime_error {
public:
    Error(specrt_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}
    /// The SPECRT_ERROR_* code.
    specrt_status status() const noexcept { return status_; }

private:
    specrt_status status_;
};

namespace detail {

/// Throws specrt::Error for a non-OK status, with this thread's last error message.
inline void check(specrt_status status) {
    if (status != SPECRT_OK) {
        throw Error(status, std::string(specrt_status_str(status)) + ": " + specrt_last_error());
    }
}

template <class T, void (*Free)(T *)>
struct Deleter {
    void operator()(T *p) const noexcept { Free(p); }
};

template <class T, void (*Free)(T *)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

/// Holds an exception thrown inside a callback until specrt has returned.
struct CallbackGuard {
    std::exception_ptr error;
    void rethrow_if_any() const {
        if (error) std::rethrow_exception(error);
    }
};

}  // namespace detail

/// A read-only view of bytes.
class ByteSpan {
public:
    ByteSpan() noexcept = default;
    ByteSpan(const void *data, size_t size) noexcept
        : data_(static_cast<const uint8_t *>(data)), size_(size) {}
    /// Any contiguous container of 1-byte elements (std::vector<uint8_t>, std::string, ...).
    template <class C, class = decltype(std::declval<const C &>().data()),
              class = std::enable_if_t<sizeof(*std::declval<const C &>().data()) == 1>>
    ByteSpan(const C &c) noexcept : ByteSpan(c.data(), c.size()) {}  // NOLINT: implicit by design
    ByteSpan(specrt_bytes b) noexcept : ByteSpan(b.data, b.len) {}   // NOLINT: implicit by design

    const uint8_t *data() const noexcept { return data_; }
    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const uint8_t *begin() const noexcept { return data_; }
    const uint8_t *end() const noexcept { return data_ + size_; }
    /// The C view.
    specrt_bytes c_bytes() const noexcept {
        specrt_bytes b;
        b.data = data_;
        b.len = size_;
        return b;
    }

private:
    const uint8_t *data_ = nullptr;
    size_t size_ = 0;
};

/// The library version, "MAJOR.MINOR.PATCH".
inline std::string version() { return specrt_version(); }

/// Parses the [committed, rolled_back] tail at the end of a counter buffer.
inline specrt_report parse_counter_tail(ByteSpan bytes) {
    specrt_report r;
    detail::check(specrt_counter_tail_parse(bytes.data(), bytes.size(), &r));
    return r;
}

/// The 8-byte counter tail of a report.
inline std::array<uint8_t, SPECRT_COUNTER_TAIL_LEN> encode_counter_tail(specrt_report report) {
    std::array<uint8_t, SPECRT_COUNTER_TAIL_LEN> out{};
    detail::check(specrt_counter_tail_encode(report, out.data()));
    return out;
}

/// The 32-hex autotune digest of a spec cache key.
inline std::string autotune_key_hex(const specrt_spec_cache_key &key) {
    char hex[33];
    detail::check(specrt_autotune_key_hex(&key, hex));
    return hex;
}

/// Adopt, reject or keep racing.
inline specrt_verdict decide_speculation(const specrt_speculation_observation &o) {
    return specrt_decide_speculation(o);
}

/// Standard launches or a persistent kernel.
inline specrt_persistent_decision decide_persistent_kernel(const specrt_persistent_inputs &in) {
    return specrt_decide_persistent_kernel(in);
}

/// "standard-launches" or "persistent-kernel:<savings_ns>".
inline std::string to_string(const specrt_persistent_decision &d) {
    size_t needed = 0;
    detail::check(specrt_persistent_decision_format(d, nullptr, 0, &needed));
    std::string text(needed, '\0');
    detail::check(specrt_persistent_decision_format(d, &text[0], text.size(), &needed));
    text.resize(needed - 1);
    return text;
}

/// The adaptive speculator. Thread-safe: share one between threads by reference.
class Speculator {
public:
    explicit Speculator(uint32_t threshold_pct = SPECRT_DEFAULT_THRESHOLD_PCT) {
        specrt_speculator *s = nullptr;
        detail::check(specrt_speculator_new(threshold_pct, &s));
        handle_.reset(s);
    }
    bool should_speculate() const noexcept { return specrt_speculator_should_speculate(get()); }
    void record(specrt_report report) { detail::check(specrt_speculator_record(get(), report)); }
    uint32_t commit_rate_ppm() const noexcept { return specrt_speculator_commit_rate_ppm(get()); }
    uint64_t samples() const noexcept { return specrt_speculator_samples(get()); }
    uint32_t threshold_ppm() const noexcept { return specrt_speculator_threshold_ppm(get()); }
    specrt_speculator *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<specrt_speculator, specrt_speculator_free> handle_;
};

/// The autotune store. Thread-safe; saves are locked, atomic and merged across processes.
class AutotuneStore {
public:
    AutotuneStore() {
        specrt_autotune_store *s = nullptr;
        detail::check(specrt_autotune_store_new(&s));
        handle_.reset(s);
    }
    /// Loads a store file (a missing file is an empty store).
    static AutotuneStore load(const std::string &path) {
        specrt_autotune_store *s = nullptr;
        detail::check(specrt_autotune_store_load(path.c_str(), &s));
        return AutotuneStore(s);
    }
    size_t size() const noexcept { return specrt_autotune_store_len(get()); }
    bool dirty() const noexcept { return specrt_autotune_store_is_dirty(get()); }
    std::optional<specrt_autotune_record> get(const specrt_spec_cache_key &key,
                                              const std::string &adapter) const {
        specrt_autotune_record r;
        bool found = false;
        detail::check(specrt_autotune_store_get(get(), &key, adapter.c_str(), &r, &found));
        return found ? std::optional<specrt_autotune_record>(r) : std::nullopt;
    }
    void put(const specrt_spec_cache_key &key, const std::string &adapter,
             const specrt_autotune_record &record) {
        detail::check(specrt_autotune_store_put(get(), &key, adapter.c_str(), &record));
    }
    bool forget(const specrt_spec_cache_key &key, const std::string &adapter) {
        bool removed = false;
        detail::check(specrt_autotune_store_forget(get(), &key, adapter.c_str(), &removed));
        return removed;
    }
    /// Saves when dirty; returns whether it wrote.
    bool save_if_dirty(const std::string &path) {
        bool wrote = false;
        detail::check(specrt_autotune_store_save_if_dirty(get(), path.c_str(), &wrote));
        return wrote;
    }
    /// Calls `visit(key_hex, adapter_id, record)` per record; a visitor returning bool stops
    /// when it returns false.
    template <class Visit>
    void for_each(Visit &&visit) const {
        struct State {
            std::remove_reference_t<Visit> *visit;
            detail::CallbackGuard guard;
        } state{&visit, {}};
        auto trampoline = [](const char *key, const char *adapter,
                             const specrt_autotune_record *r, void *user) -> int {
            auto *st = static_cast<State *>(user);
            try {
                if constexpr (std::is_same_v<decltype((*st->visit)(key, adapter, *r)), bool>) {
                    return (*st->visit)(key, adapter, *r) ? 0 : 1;
                } else {
                    (*st->visit)(key, adapter, *r);
                    return 0;
                }
            } catch (...) {
                st->guard.error = std::current_exception();
                return 1;
            }
        };
        detail::check(specrt_autotune_store_foreach(get(), trampoline, &state));
        state.guard.rethrow_if_any();
    }
    /// Decides a race and stores the winner's record.
    specrt_variant_decision record_variant_race(const specrt_spec_cache_key &conservative,
                                                const specrt_spec_cache_key &speculative,
                                                const std::string &adapter,
                                                const specrt_variant_race &race) {
        specrt_variant_decision d;
        detail::check(specrt_record_variant_race(get(), &conservative, &speculative,
                                                 adapter.c_str(), &race, &d));
        return d;
    }
    specrt_autotune_store *get() const noexcept { return handle_.get(); }

private:
    explicit AutotuneStore(specrt_autotune_store *s) : handle_(s) {}
    detail::Owned<specrt_autotune_store, specrt_autotune_store_free> handle_;
};

/// The paired speculation window.
class PairedWindow {
public:
    PairedWindow() {
        specrt_paired_window *w = nullptr;
        detail::check(specrt_paired_window_new(&w));
        handle_.reset(w);
    }
    uint32_t size() const noexcept { return specrt_paired_window_len(get()); }
    specrt_speculation_observation observation() const {
        specrt_speculation_observation o;
        detail::check(specrt_paired_window_observation(get(), &o));
        return o;
    }
    specrt_paired_update record_sample(AutotuneStore &store,
                                       const specrt_spec_cache_key &conservative,
                                       const specrt_spec_cache_key &speculative,
                                       const std::string &adapter,
                                       const specrt_variant_race &sample) {
        specrt_paired_update u;
        detail::check(specrt_paired_window_record_sample(get(), store.get(), &conservative,
                                                         &speculative, adapter.c_str(), &sample,
                                                         &u));
        return u;
    }
    specrt_paired_window *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<specrt_paired_window, specrt_paired_window_free> handle_;
};

#if defined(SPECRT_GPU)

/// A GPU context. Thread-safe: any number of threads may dispatch on one context.
class Context {
public:
    explicit Context(const specrt_context_options &options = specrt_context_options_default()) {
        specrt_context *c = nullptr;
        detail::check(specrt_context_new(&options, &c));
        handle_.reset(c);
    }
    specrt_adapter_info adapter_info() const {
        specrt_adapter_info info;
        detail::check(specrt_context_adapter_info(get(), &info));
        return info;
    }
    std::string adapter_id() const {
        size_t needed = 0;
        detail::check(specrt_context_adapter_id(get(), nullptr, 0, &needed));
        std::string id(needed, '\0');
        detail::check(specrt_context_adapter_id(get(), &id[0], id.size(), &needed));
        id.resize(needed - 1);
        return id;
    }
    bool lost() const noexcept { return specrt_context_is_lost(get()); }
    bool save_autotune() {
        bool wrote = false;
        detail::check(specrt_context_save_autotune(get(), &wrote));
        return wrote;
    }
    specrt_context *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<specrt_context, specrt_context_free> handle_;
};

/// A compiled WGSL program.
class Program {
public:
    Program(const Context &context, const std::string &wgsl, const std::string &entry_point,
            uint32_t input_count, const std::vector<specrt_size_rule> &output_sizes,
            specrt_size_rule workgroups_x, uint32_t workgroups_y = 1, uint32_t workgroups_z = 1) {
        specrt_program_desc desc;
        desc.wgsl = wgsl.c_str();
        desc.entry_point = entry_point.c_str();
        desc.input_count = input_count;
        desc.output_count = static_cast<uint32_t>(output_sizes.size());
        desc.output_sizes = output_sizes.data();
        desc.workgroups_x = workgroups_x;
        desc.workgroups_y = workgroups_y;
        desc.workgroups_z = workgroups_z;
        specrt_program *p = nullptr;
        detail::check(specrt_program_new(context.get(), &desc, &p));
        handle_.reset(p);
    }
    specrt_program *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<specrt_program, specrt_program_free> handle_;
};

/// A size rule: `fixed + unit * ceil(len(inputs[input]) * numerator / denominator)`.
inline specrt_size_rule size_rule(uint64_t fixed, uint32_t input = 0, uint64_t unit = 0,
                                  uint64_t numerator = 0, uint64_t denominator = 0) {
    specrt_size_rule r;
    r.fixed = fixed;
    r.input = input;
    r.unit = unit;
    r.numerator = numerator;
    r.denominator = denominator;
    return r;
}

/// The result of a dispatch; views stay valid while the Outcome lives.
class Outcome {
public:
    explicit Outcome(specrt_dispatch_outcome *o) : handle_(o) {}
    specrt_path path() const noexcept { return specrt_dispatch_outcome_path(get()); }
    uint32_t output_count() const noexcept { return specrt_dispatch_outcome_output_count(get()); }
    ByteSpan output(uint32_t index) const {
        specrt_bytes b;
        detail::check(specrt_dispatch_outcome_output(get(), index, &b));
        return b;
    }
    std::optional<specrt_report> report() const {
        specrt_report r;
        bool has = false;
        detail::check(specrt_dispatch_outcome_report(get(), &r, &has));
        return has ? std::optional<specrt_report>(r) : std::nullopt;
    }
    specrt_dispatch_timings timings() const {
        specrt_dispatch_timings t;
        detail::check(specrt_dispatch_outcome_timings(get(), &t));
        return t;
    }
    specrt_dispatch_outcome *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<specrt_dispatch_outcome, specrt_dispatch_outcome_free> handle_;
};

/// What a confirm callback sees; valid only during the callback.
class ConfirmIo {
public:
    explicit ConfirmIo(specrt_confirm_io *io) noexcept : io_(io) {}
    uint32_t input_count() const noexcept { return specrt_confirm_io_input_count(io_); }
    ByteSpan input(uint32_t index) const {
        specrt_bytes b;
        detail::check(specrt_confirm_io_input(io_, index, &b));
        return b;
    }
    uint32_t prefilter_output_count() const noexcept {
        return specrt_confirm_io_prefilter_output_count(io_);
    }
    ByteSpan prefilter_output(uint32_t index) const {
        specrt_bytes b;
        detail::check(specrt_confirm_io_prefilter_output(io_, index, &b));
        return b;
    }
    void set_output(uint32_t index, ByteSpan bytes) {
        detail::check(specrt_confirm_io_set_output(io_, index, bytes.data(), bytes.size()));
    }

private:
    specrt_confirm_io *io_;
};

namespace detail {
struct InputList {
    std::vector<specrt_bytes> views;
    specrt_input_list list;
    explicit InputList(const std::vector<ByteSpan> &inputs) {
        for (const ByteSpan &b : inputs) views.push_back(b.c_bytes());
        list.items = views.data();
        list.count = views.size();
    }
};
}  // namespace detail

/// Runs one program on its own.
inline Outcome dispatch(const Context &context, const Program &program,
                        const std::vector<ByteSpan> &inputs) {
    detail::InputList list(inputs);
    specrt_dispatch_outcome *o = nullptr;
    detail::check(specrt_program_dispatch(context.get(), program.get(), &list.list, &o));
    return Outcome(o);
}

/// The prefilter/confirm entry point; `confirm(ConfirmIo &)` runs on the serial path.
template <class Confirm>
Outcome dispatch_prefilter_confirm(const Context &context, Speculator &speculator,
                                   const specrt_dispatch_plan &plan,
                                   const std::vector<ByteSpan> &inputs,
                                   specrt_speculation_mode mode, Confirm &&confirm) {
    struct State {
        std::remove_reference_t<Confirm> *confirm;
        detail::CallbackGuard guard;
    } state{&confirm, {}};
    auto trampoline = [](specrt_confirm_io *io, void *user) -> specrt_status {
        auto *st = static_cast<State *>(user);
        try {
            ConfirmIo wrapped(io);
            (*st->confirm)(wrapped);
            return SPECRT_OK;
        } catch (const Error &e) {
            st->guard.error = std::current_exception();
            return e.status();
        } catch (...) {
            st->guard.error = std::current_exception();
            return SPECRT_ERROR_CALLBACK;
        }
    };
    detail::InputList list(inputs);
    specrt_dispatch_config config;
    config.mode = mode;
    specrt_dispatch_outcome *o = nullptr;
    specrt_status status =
        specrt_dispatch_prefilter_confirm(context.get(), speculator.get(), &plan, &list.list,
                                          &config, trampoline, &state, &o);
    state.guard.rethrow_if_any();
    detail::check(status);
    return Outcome(o);
}

/// Strings grouped into rules, for a Scanner.
class RuleSet {
public:
    RuleSet() {
        specrt_ruleset *r = nullptr;
        detail::check(specrt_ruleset_new(&r));
        handle_.reset(r);
    }
    /// Adds a string; an empty `mask` means an exact string.
    void add(uint32_t rule_id, uint32_t string_id, ByteSpan bytes, ByteSpan mask = {},
             specrt_string_flags flags = 0) {
        if (!mask.empty() && mask.size() != bytes.size()) {
            throw Error(SPECRT_ERROR_INVALID_ARGUMENT, "the mask must have one byte per string byte");
        }
        detail::check(specrt_ruleset_add_string(get(), rule_id, string_id, bytes.data(),
                                                mask.empty() ? nullptr : mask.data(),
                                                bytes.size(), flags));
    }
    /// Compiles YARA source text; `flags` are `SPECRT_COMPILE_*` bits, `origin` names the
    /// source in error messages ("origin:line:column: ..."), `externals` are the external
    /// variables the conditions may use (their names and texts must outlive the call).
    static RuleSet compile(std::string_view source, specrt_compile_flags flags = 0,
                           const std::string &origin = "rules",
                           const std::vector<specrt_external> &externals = {}) {
        specrt_ruleset *r = nullptr;
        specrt_compile_options options{};
        options.flags = flags;
        options.origin = origin.c_str();
        options.externals = externals.empty() ? nullptr : externals.data();
        options.external_count = externals.size();
        detail::check(specrt_ruleset_compile(source.data(), source.size(), &options, &r));
        return RuleSet(r);
    }
    /// Rules left out by `compile` with SPECRT_COMPILE_SKIP_UNSUPPORTED.
    std::vector<specrt_skipped_rule> skipped() const {
        std::vector<specrt_skipped_rule> out(specrt_ruleset_skipped_count(get()));
        for (size_t i = 0; i < out.size(); i++) detail::check(specrt_ruleset_skipped(get(), i, &out[i]));
        return out;
    }
    size_t size() const noexcept { return specrt_ruleset_string_count(get()); }
    specrt_ruleset *get() const noexcept { return handle_.get(); }

private:
    friend class Compiler;
    explicit RuleSet(specrt_ruleset *r) : handle_(r) {}
    detail::Owned<specrt_ruleset, specrt_ruleset_free> handle_;
};

/// Several YARA sources, each in a namespace, compiled into one rule set (`specrt_compiler`).
/// Each source is parsed when added, so its errors throw from `add_source` / `add_file`.
class Compiler {
public:
    /// `include` texts: the name and the including source's origin give the text, or nothing
    /// when there is none.
    using IncludeFn =
        std::function<std::optional<std::string>(const std::string &name, const std::string &from)>;

    /// `flags` are `SPECRT_COMPILE_*` bits; `externals` (names and texts must outlive the
    /// compiler's calls) apply to every source.
    explicit Compiler(specrt_compile_flags flags = 0,
                      const std::vector<specrt_external> &externals = {}) {
        specrt_compiler *c = nullptr;
        specrt_compile_options options{};
        options.flags = flags;
        options.externals = externals.empty() ? nullptr : externals.data();
        options.external_count = externals.size();
        detail::check(specrt_compiler_new(&options, &c));
        handle_.reset(c);
    }
    Compiler(const Compiler &) = delete;
    Compiler &operator=(const Compiler &) = delete;

    /// Adds source text to `namespace_`, named `origin` in messages.
    Compiler &add_source(std::string_view source, const std::string &namespace_ = "default",
                         const std::string &origin = "rules") {
        detail::check(specrt_compiler_add_source(get(), source.data(), source.size(),
                                                 namespace_.c_str(), origin.c_str()));
        return *this;
    }
    /// Adds the YARA file at `path` to `namespace_` (its includes are found beside it).
    Compiler &add_file(const std::string &path, const std::string &namespace_ = "default") {
        detail::check(specrt_compiler_add_file(get(), path.c_str(), namespace_.c_str()));
        return *this;
    }
    /// Resolves `include` with `fn` instead of reading files.
    void set_includes(IncludeFn fn) {
        includes_ = std::move(fn);
        detail::check(specrt_compiler_set_include_callback(get(), &Compiler::find, nullptr, this));
    }
    /// The rule set of every source added; a compiler builds once.
    RuleSet build() {
        specrt_ruleset *r = nullptr;
        detail::check(specrt_compiler_build(get(), &r));
        return RuleSet(r);
    }
    specrt_compiler *get() const noexcept { return handle_.get(); }

private:
    static const char *find(const char *name, const char *from, void *self, size_t *len) {
        auto *c = static_cast<Compiler *>(self);
        try {
            std::optional<std::string> text = c->includes_(name, from);
            if (!text) return nullptr;
            c->found_ = std::move(*text);
            *len = c->found_.size();
            return c->found_.data();
        } catch (...) {
            return nullptr; /* no exception crosses the C boundary */
        }
    }
    detail::Owned<specrt_compiler, specrt_compiler_free> handle_;
    IncludeFn includes_;
    std::string found_;
};

/// The result of a scan: matches sorted by (offset, rule, string, length).
class ScanResult {
public:
    explicit ScanResult(specrt_scan_result *r) : handle_(r) {}
    size_t size() const noexcept { return specrt_scan_result_match_count(get()); }
    const specrt_match *begin() const noexcept { return specrt_scan_result_matches(get()); }
    const specrt_match *end() const noexcept { return begin() + size(); }
    /// Ids of the rules that matched, ascending.
    std::vector<uint32_t> rules() const {
        const uint32_t *ids = specrt_scan_result_rules(get());
        return ids ? std::vector<uint32_t>(ids, ids + specrt_scan_result_rule_count(get()))
                   : std::vector<uint32_t>();
    }
    specrt_scan_summary summary() const {
        specrt_scan_summary s;
        detail::check(specrt_scan_result_summary(get(), &s));
        return s;
    }
    /// The messages the `console` module wrote while the conditions ran, in order; each
    /// view is valid while this result lives.
    std::vector<std::string_view> console() const {
        std::vector<std::string_view> out;
        for (size_t i = 0; i < specrt_scan_result_console_count(get()); i++) {
            const uint8_t *message = nullptr;
            size_t length = 0;
            detail::check(specrt_scan_result_console_message(get(), i, &message, &length));
            out.emplace_back(reinterpret_cast<const char *>(message), length);
        }
        return out;
    }
    specrt_scan_result *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<specrt_scan_result, specrt_scan_result_free> handle_;
};

/// A compiled rule set, on the context's GPU (or the CPU without one). Thread-safe.
class Scanner {
public:
    /// `context` may be null for a CPU-only scanner.
    Scanner(const Context *context, const RuleSet &rules) {
        specrt_scanner *s = nullptr;
        detail::check(specrt_scanner_new(context ? context->get() : nullptr, rules.get(), &s));
        handle_.reset(s);
    }
    bool has_gpu() const noexcept { return specrt_scanner_has_gpu(get()); }
    /// Name, tags and modifiers of a rule compiled from YARA source.
    specrt_rule_info rule_info(uint32_t rule_id) const {
        specrt_rule_info info;
        detail::check(specrt_scanner_rule_info(get(), rule_id, &info));
        return info;
    }
    /// The `meta:` entries of such a rule, in source order.
    std::vector<specrt_meta> rule_meta(uint32_t rule_id) const {
        std::vector<specrt_meta> out(rule_info(rule_id).meta_count);
        for (uint32_t i = 0; i < out.size(); i++) {
            detail::check(specrt_scanner_rule_meta(get(), rule_id, i, &out[i]));
        }
        return out;
    }
    /// Name and kind of a string of such a rule.
    specrt_string_info string_info(uint32_t rule_id, uint32_t string_id) const {
        specrt_string_info info;
        detail::check(specrt_scanner_string_info(get(), rule_id, string_id, &info));
        return info;
    }
    /// Scans `data`; `on_chunk(const specrt_match *, size_t)` may return false to stop.
    ScanResult scan(ByteSpan data,
                    const specrt_scan_options &options = specrt_scan_options_default()) const {
        specrt_scan_result *r = nullptr;
        detail::check(specrt_scan(get(), data.data(), data.size(), &options, nullptr, nullptr, &r));
        return ScanResult(r);
    }
    template <class OnChunk>
    ScanResult scan(ByteSpan data, const specrt_scan_options &options, OnChunk &&on_chunk) const {
        struct State {
            std::remove_reference_t<OnChunk> *f;
            detail::CallbackGuard guard;
        } state{&on_chunk, {}};
        auto trampoline = [](const specrt_match *m, size_t n, void *user) -> int {
            auto *st = static_cast<State *>(user);
            try {
                return (*st->f)(m, n) ? 0 : 1;
            } catch (...) {
                st->guard.error = std::current_exception();
                return 1;
            }
        };
        specrt_scan_result *r = nullptr;
        specrt_status status =
            specrt_scan(get(), data.data(), data.size(), &options, trampoline, &state, &r);
        state.guard.rethrow_if_any();
        detail::check(status);
        return ScanResult(r);
    }
    /// Memory-maps and scans a file.
    ScanResult scan_file(const std::string &path,
                         const specrt_scan_options &options = specrt_scan_options_default()) const {
        specrt_scan_result *r = nullptr;
        detail::check(specrt_scan_file(get(), path.c_str(), &options, nullptr, nullptr, nullptr, &r));
        return ScanResult(r);
    }
    specrt_scanner *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<specrt_scanner, specrt_scanner_free> handle_;
};

#endif  // SPECRT_GPU

}  // namespace specrt

#endif  // SPECRT_HPP
