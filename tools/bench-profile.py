#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Where each path's CPU time went, from bench.sh's perf samples.

Arguments: REPORT RESULTS REPS SECONDS NCPU PATH...
REPORT holds "PATH PCT SAMPLES DSO [k|.] SYMBOL" lines ("perf report -n
--sort dso,sym" of every repetition, the path put first); RESULTS the
"LABEL KIND VALUE CPUS" lines of the same tcp1 runs. Writes Markdown:
per path the CPU time per megabyte moved, split into kinds of work, so
two paths' costs compare byte for byte, and each path's top functions.
"""
import re
import statistics
import sys

HZ = 499  # perf record -F in bench.sh

# First match wins, a symbol before its module: the tunnels' own modules
# come before crypto, as some of their function names speak of it. perf
# names a module's functions after the kernel ([kernel.kallsyms]) when it
# reads them from /proc/kallsyms, so the tunnels are known by prefix too.
KINDS = [
    ("idle", None, re.compile(r"(^|_)(idle|safe_halt|halt|mwait)|^do_idle$|^cpuidle")),
    ("esptun", re.compile(r"^\[esptun\]"), re.compile(r"^esptun_")),
    ("wireguard", re.compile(r"^\[wireguard\]"), re.compile(r"^wg_")),
    ("xfrm/esp4", re.compile(r"^\[(esp4|esp6|xfrm)"), re.compile(r"^_*(xfrm|esp_|esp4_|esp6_)")),
    ("crypto", re.compile(r"^\[(aes|gcm|ghash|gf128|sha256|sha512|chacha|poly1305|lib(chacha|poly1305)"
                          r"|cbc|ctr|hmac|authenc|aead|crypto|cryptd|curve25519|blake2s)"),
     re.compile(r"aes|gcm|ghash|gf128|sha256|sha512|chacha|poly1305|hchacha|crypto_|scatterwalk"
                r"|skcipher|aead|ahash|shash|hmac|authenc|blake2s|curve25519")),
    ("copy/csum", None, re.compile(r"copy_user|memcpy|memmove|memset|csum|copy_page|rep_mov"
                                   r"|skb_copy|copy_to_iter|copy_from_iter|_copy_")),
    ("sched/padata", None, re.compile(r"schedule|switch|wake_up|padata|worker|process_one_work"
                                      r"|enqueue_task|dequeue_task|ttwu|select_task_rq|pick_next")),
]


def kind(dso, space, sym):
    if space == "[.]":
        return "user space"
    for name, dre, sre in KINDS:
        if sre and sre.search(sym):
            return name
        if dre and dre.search(dso):
            return name
    return "other kernel"


def main():
    report, results, reps, secs, ncpu = sys.argv[1:6]
    paths = sys.argv[6:]
    reps, secs, ncpu = int(reps), int(secs), int(ncpu)
    # samples[path][kind], funcs[path][(dso, sym)]
    samples = {p: {} for p in paths}
    funcs = {p: {} for p in paths}
    total = {p: 0 for p in paths}
    for line in open(report):
        w = line.split()
        if len(w) < 6 or w[0] not in samples or not w[1].endswith("%"):
            continue
        p, n, dso, space, sym = w[0], int(w[2]), w[3], w[4], " ".join(w[5:])
        k = kind(dso, space, sym)
        samples[p][k] = samples[p].get(k, 0) + n
        funcs[p][(dso, sym, k)] = funcs[p].get((dso, sym, k), 0) + n
        total[p] += n
    mbit, cpus = {}, {}
    for line in open(results):
        lab, kd, v, c = line.split()
        if kd == "tcp1" and lab in samples:
            mbit.setdefault(lab, []).append(float(v))
            cpus.setdefault(lab, []).append(float(c))

    names = [k[0] for k in KINDS if k[0] != "idle"] + ["other kernel", "user space"]
    out = []
    out.append("# esptun profile")
    out.append("")
    out.append("perf (cpu-clock at %d Hz on all %d guest CPUs) during %d single-flow "
               "TCP runs of %d s per path, interleaved. Costs are CPU milliseconds "
               "per megabyte received, summed over the runs: sender, receiver and "
               "both tunnel ends share the guest, so each figure is the whole "
               "machine's cost for one megabyte through that path. The samples come "
               "from a timer interrupt, so time spent with interrupts off shows at "
               "the function that turns them back on "
               "(`_raw_spin_unlock_irqrestore`, in \"other kernel\"). perf's own "
               "sampling slows the guest: the throughput here is not the bench's." % (HZ, ncpu, reps, secs))
    out.append("")
    out.append("| path | Mbit/s | CPUs busy | " + " | ".join(names) + " | all but idle |")
    out.append("|---|---|---|" + "---|" * (len(names) + 1))
    for p in paths:
        if not total[p] or p not in mbit:
            out.append("| %s | no samples |" % p)
            continue
        mb = sum(mbit[p]) * secs / 8  # megabytes over all runs
        cost = {k: samples[p].get(k, 0) / HZ * 1000 / mb for k in names} if mb else {}
        busy = sum(cost.values())
        out.append("| %s | %.0f | %.2f | " % (p, statistics.median(mbit[p]),
                                              statistics.median(cpus[p]))
                   + " | ".join("%.2f" % cost.get(k, 0) for k in names)
                   + " | %.2f |" % busy)
    for p in paths:
        if not total[p]:
            continue
        out.append("")
        out.append("## %s: top functions (share of all samples, idle included)" % p)
        out.append("")
        out.append("| share | kind | module | function |")
        out.append("|---|---|---|---|")
        top = sorted(funcs[p].items(), key=lambda x: -x[1])[:15]
        for (dso, sym, k), n in top:
            out.append("| %.1f%% | %s | %s | %s |" % (100.0 * n / total[p], k, dso, sym))
    sys.stdout.write("\n".join(out) + "\n")


main()
