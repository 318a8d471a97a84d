"""The training step of hyperlayers in PyTorch, for `npm run bench` to time side by side.

An independent implementation of the same computation as the library's training step (the
paper's hypernetwork, appendix B.2 of Liao, Liu & Tegmark, arXiv:2312.03051, as `src/layers/`
builds it): the Pareto hyperhypernetwork 1 -> 100 -> 10 -> 2P with swish, theta = a * sigmoid(b);
H0 from the source blocks (three sinusoidal positions of 4, noise 5, learned 5: 22 features);
then D - 1 = 3 hyperlayers, each a linear map 56 (22 for the first) -> 58 with bias, split into
swish 20, attention 30 (per-neuron softmax attention, key 5, over every edge incident to the neuron)
and a KL channel 8 (mu, rho of 4 per side, sigma = softplus(rho) + 1e-3, z = mu_q + sigma_q * eps,
KL(q||p) summed), concatenated with fresh sources (activation 20, positions 12, noise 5, learned 5,
attention 10, latent 4: 56 features); the read-out 56 -> 2 on the decoder side (feature 0 the
weights, feature 1 averaged over the inputs the biases); the target network [n0, n1, 1] with swish,
scored by the normalised L1 task on its own 256 inputs per beta; objective mean log(L + beta * KL);
Adam. Same shapes and FLOPs as the library's step (8 betas, P = 24,380 for [16, 48, 1]).

    python3 bench/torch_step.py [--shape 16,48,1] [--steps 30] [--threads 1]

Prints one JSON line: {"shape", "P", "threads", "ms_per_step" (median wall time),
"cpu_ms_per_step" (median CPU time of the process), "steps", "torch", "blas" (the BLAS libraries
loaded)}. Run it with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 for one thread throughout (the bench does).
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--shape", default="16,48,1")
parser.add_argument("--steps", type=int, default=30)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--betas", type=int, default=8)
parser.add_argument("--samples", type=int, default=256)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)

shape = [int(n) for n in args.shape.split(",")]
B, S = args.betas, args.samples
ACT, POS, NOISE, LEARNED, KEY, LATENT, DEPTH = 20, 4, 5, 5, 5, 4, 4
SOURCES = 3 * POS + NOISE + LEARNED                       # 22
READS = ACT + 6 * KEY + 2 * LATENT                        # 58
WRITES = ACT + SOURCES + 2 * KEY + LATENT                 # 56
layers = []
offset = 0
for l in range(1, len(shape)):
    layers.append((shape[l - 1], shape[l], offset))
    offset += shape[l - 1] * shape[l]
E = offset
N = len(layers)


def sinusoid(p, d):
    half = d // 2
    f = [10000 ** (-2 * k / d) for k in range(half)]
    return [math.sin(p * x) for x in f] + [math.cos(p * x) for x in f]


def positions(kind):
    out = torch.zeros(E, POS)
    for l, (rows, cols, off) in enumerate(layers, start=1):
        if (kind == "input" and l != 1) or (kind == "output" and l != N):
            continue
        for i in range(rows):
            for j in range(cols):
                p = i if kind == "input" else j if kind == "output" else l
                out[off + i * cols + j] = torch.tensor(sinusoid(p, POS))
    return out


POSITIONS = torch.cat([positions("input"), positions("output"), positions("layer")], 1)  # [E, 12]

# the layout of theta: per stage k the map M_k, m_k, then the stage's learned variables
entries = [("v0", (E, LEARNED))]
for k in range(1, DEPTH):
    entries += [(f"M{k}", (SOURCES if k == 1 else WRITES, READS)), (f"m{k}", (READS,)), (f"v{k}", (E, LEARNED))]
entries += [(f"M{DEPTH}", (WRITES, 2)), (f"m{DEPTH}", (2,))]
sizes = [math.prod(s) for _, s in entries]
P = sum(sizes)


def swish(x):
    return x * torch.sigmoid(x)


def sources(theta_v, noise):
    """[B, 2, E, 22]: positions, noise (both sides), learned (encoder side; zeros on the decoder side)."""
    pos = POSITIONS.expand(B, 2, E, 3 * POS)
    nz = noise.unsqueeze(1).expand(B, 2, E, NOISE)
    learned = torch.stack([theta_v, torch.zeros_like(theta_v)], 1)
    return torch.cat([pos, nz, learned], -1)


def attention(x):
    """[B, 2, E, 30] -> [B, 2, E, 10]: softmax attention within every neuron's pool of incident edges."""
    BS = 2 * B
    per = [x[:, :, off:off + r * c].reshape(BS, r, c, 6 * KEY) for r, c, off in layers]
    front = [t[..., :3 * KEY] for t in per]
    behind = [t[..., 3 * KEY:] for t in per]
    from_front, from_behind = [None] * N, [None] * N
    for m in range(N + 1):
        width = layers[0][0] if m == 0 else layers[m - 1][1]
        parts = []
        if m >= 1:
            parts.append(front[m - 1].transpose(1, 2))
        if m < N:
            parts.append(behind[m])
        pool = torch.cat(parts, 2) if len(parts) > 1 else parts[0]
        s = pool.shape[2]
        q, k, v = pool.reshape(BS * width, s, 3 * KEY).split(KEY, -1)
        out = (torch.softmax(q @ k.transpose(1, 2) / math.sqrt(KEY), -1) @ v).reshape(BS, width, s, KEY)
        incoming = layers[m - 1][0] if m >= 1 else 0
        if m >= 1:
            from_front[m - 1] = out[:, :, :incoming].transpose(1, 2)
        if m < N:
            from_behind[m] = out[:, :, incoming:]
    return torch.cat([torch.cat([from_front[l], from_behind[l]], -1).reshape(B, 2, -1, 2 * KEY) for l in range(N)], 2)


def kl_channel(x, eps):
    """[B, 2, E, 8] -> z [B, 2, E, 4] on both sides, KL(q||p) [B]."""
    mu_q, rho_q = x[:, 0].split(LATENT, -1)
    mu_p, rho_p = x[:, 1].split(LATENT, -1)
    s_q, s_p = F.softplus(rho_q) + 1e-3, F.softplus(rho_p) + 1e-3
    z = mu_q + s_q * eps
    t = 2 * torch.log(s_q / s_p)
    kl = 0.5 * (torch.relu(torch.expm1(t) - t) + ((mu_q - mu_p) / s_p) ** 2)
    return z.unsqueeze(1).expand(B, 2, E, LATENT), kl.sum((1, 2))


def step(params, optimizer):
    W1, b1, W2, b2, W3, b3 = params
    log_beta = torch.rand(B) * 12 - 12
    x = torch.randn(B, S, shape[0])
    noise = [torch.randn(B, E, NOISE) for _ in range(DEPTH)]
    eps = [torch.randn(B, E, LATENT) for _ in range(DEPTH - 1)]
    u = ((log_beta + 6) / 6).unsqueeze(1)
    h = swish(u @ W1 + b1)
    h = swish(h @ W2 + b2)
    a, b = (h @ W3 + b3).split(P, -1)
    theta = dict(zip([n for n, _ in entries], (t.reshape(B, *s) for t, (_, s) in zip((a * torch.sigmoid(b)).split(sizes, -1), entries))))
    H = sources(theta["v0"], noise[0])
    kl = torch.zeros(B)
    for k in range(1, DEPTH):
        Y = (H.reshape(B, 2 * E, -1) @ theta[f"M{k}"] + theta[f"m{k}"].unsqueeze(1)).reshape(B, 2, E, READS)
        act, att, klin = Y.split([ACT, 6 * KEY, 2 * LATENT], -1)
        z, k_kl = kl_channel(klin, eps[k - 1])
        kl = kl + k_kl
        H = torch.cat([swish(act), sources(theta[f"v{k}"], noise[k]), attention(att), z], -1)
    out = (H.reshape(B, 2 * E, -1) @ theta[f"M{DEPTH}"] + theta[f"m{DEPTH}"].unsqueeze(1)).reshape(B, 2, E, 2)[:, 1]
    a_ = x
    for l, (rows, cols, off) in enumerate(layers):
        e = out[:, off:off + rows * cols].reshape(B, rows, cols, 2)
        a_ = a_ @ e[..., 0] + e[..., 1].mean(1).unsqueeze(1)
        if l < N - 1:
            a_ = swish(a_)
    n0 = shape[0]
    target = (x.abs().sum(-1) - n0 * math.sqrt(2 / math.pi)) / math.sqrt(n0 * (1 - 2 / math.pi))
    loss = ((a_.squeeze(-1) - target) ** 2).mean(-1)
    objective = torch.log(loss + 10 ** log_beta * kl).mean()
    optimizer.zero_grad()
    objective.backward()
    optimizer.step()
    return objective.item()


def uniform(*s, fan_in):
    return ((torch.rand(*s) * 2 - 1) / math.sqrt(fan_in)).requires_grad_()


params = [uniform(1, 100, fan_in=1), uniform(100, fan_in=1), uniform(100, 10, fan_in=100), uniform(10, fan_in=100),
          uniform(10, 2 * P, fan_in=10), uniform(2 * P, fan_in=10)]
optimizer = torch.optim.Adam(params, lr=1e-3)
for _ in range(3):
    step(params, optimizer)
wall, cpu = [], []
for _ in range(args.steps):
    t0, c0 = time.perf_counter(), time.process_time()
    step(params, optimizer)
    wall.append(1000 * (time.perf_counter() - t0))
    cpu.append(1000 * (time.process_time() - c0))


def blas_libraries():
    """The BLAS shared libraries this process has loaded (Debian's torch takes whichever `libblas.so.3`
    the alternatives system points at: the reference BLAS, or OpenBLAS once `libopenblas0` is installed)."""
    try:
        with open("/proc/self/maps") as maps:
            names = {line.split()[-1].split("/")[-2] + "/" + line.split()[-1].split("/")[-1]
                     for line in maps if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(names)) or "none found"
    except OSError:
        return "unknown"


print(json.dumps({"shape": shape, "P": P, "threads": args.threads, "ms_per_step": round(statistics.median(wall), 1),
                  "cpu_ms_per_step": round(statistics.median(cpu), 1), "steps": args.steps, "torch": torch.__version__,
                  "blas": blas_libraries()}))
