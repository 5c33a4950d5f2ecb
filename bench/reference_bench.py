"""The ONNX interpreter beside onnxruntime on the same rows (issue 15's benchmark).

Trains a 100-tree depth-3 GradientBoostingClassifier and an MLP 20-64-32-3 (fixed seeds), converts
them with skl2onnx, and times onnxruntime (InferenceSession.run, one intra-op thread) and the
interpreter (modelwatch-reference-bench, release build) at batch 1 and batch 100: the median of
ITERATIONS runs each, and the memory a loaded model keeps (resident growth per load over twenty
loads, all kept, after twenty that grow the heap once). With a C compiler it also counts the
interpreter's allocations per run and the heap bytes a loaded model holds (bench/malloc_count.c
preloaded). Run with .venv-onnx's Python from the repository root, under a lock:

    flock /tmp/bench.lock .venv-onnx/bin/python bench/reference_bench.py
"""

import os
import shutil
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from skl2onnx import to_onnx  # noqa: E402
from sklearn.ensemble import GradientBoostingClassifier  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

OUT = "bench/out/reference"
BINARY = ".build/release/modelwatch-reference-bench"


def allocation_counter():
    """bench/malloc_count.c built as a preloadable library, or None without a C compiler."""
    compiler = shutil.which("cc") or shutil.which("clang")
    if compiler is None:
        return None
    library = os.path.join(OUT, "malloc_count.so")
    subprocess.check_call([compiler, "-O2", "-shared", "-fPIC", "-o", library, "bench/malloc_count.c"])
    return library


def allocations_per_run(library, path, rows, batch):
    """The interpreter's malloc calls per run (the difference between 500 and 1,500 runs, per run)
    and the heap bytes a loaded model holds."""
    if library is None:
        return float("nan"), -1
    counts = []
    for runs in (500, 1500):
        environment = dict(os.environ, LD_PRELOAD=os.path.abspath(library))
        answer = subprocess.run(
            [BINARY, path, rows, str(batch), str(runs)], env=environment, capture_output=True, text=True, check=True
        )
        counts.append(int(answer.stderr.split("malloc-calls")[-1].split()[0]))
        heap = int(answer.stdout.split()[3])
    return (counts[1] - counts[0]) / 1000, heap


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(7)
    X = rng.normal(size=(2000, 20)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int64) + (X[:, 3] > 1).astype(np.int64)
    models = {
        "gbc_100x3": GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0),
        "mlp_20_64_32_3": MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=200, random_state=0),
    }
    iterations = int(os.environ.get("ITERATIONS", "2000"))
    library = allocation_counter()
    print(
        "| model | batch | onnxruntime µs | interpreter µs | ratio | allocations per run | .onnx bytes"
        " | resident bytes a loaded model keeps | the same over the first 20 loads | heap bytes it holds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, model in models.items():
        model.fit(X, y)
        onx = to_onnx(model, X[:1], options={id(model): {"zipmap": False}}, target_opset={"": 18, "ai.onnx.ml": 3})
        path = os.path.join(OUT, f"{name}.onnx")
        with open(path, "wb") as f:
            f.write(onx.SerializeToString())
        rows = os.path.join(OUT, "rows.pb")
        with open(rows, "wb") as f:
            f.write(numpy_helper.from_array(X[:100]).SerializeToString())
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name
        for batch in (1, 100):
            feed = {input_name: X[:batch]}
            for _ in range(200):
                session.run(None, feed)
            samples = []
            for _ in range(iterations):
                start = time.perf_counter_ns()
                session.run(None, feed)
                samples.append((time.perf_counter_ns() - start) / 1000)
            samples.sort()
            answer = subprocess.check_output([BINARY, path, rows, str(batch), str(iterations)]).decode().split()
            ours, kept, first = float(answer[0]), int(answer[1]), int(answer[2])
            theirs = samples[len(samples) // 2]
            size = os.path.getsize(path)
            allocations, heap = allocations_per_run(library, path, rows, batch)
            print(
                f"| {name} | {batch} | {theirs:.1f} | {ours:.1f} | {ours / theirs:.2f}x | {allocations:.0f} | {size}"
                f" | {kept} ({kept / size:.2f}x) | {first} ({first / size:.2f}x) | {heap} ({heap / size:.2f}x) |"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
