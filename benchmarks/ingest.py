"""Ingest benchmark: time and peak memory to read a month of logs and draw a sample.

Generates, in a temporary folder outside the repository, a realistic 5.3-million-row
Parquet log (six regions with skewed traffic, customer segments, a month of timestamps,
prompts repeated with a heavy head, long-tailed prompt and answer lengths) and a
1-million-line JSONL log, then runs ``baton ingest`` on each in a fresh process (so the
peak RSS is the ingest's alone) with a 10,000-item stratified sample and the built-in
redaction, storing into a fresh SQLite store. Run with ``make bench-ingest``.

Targets (2 cores): Parquet <= 15 s and <= 2 GB peak RSS; JSONL <= 30 s.

``--engines duckdb,spark --sizes 5300000,50000000`` instead draws the same sample from
Parquet logs of each size with each engine (Spark: a local session, ``local[2]``, driver
heap 512 MB, which holds 50M rows since the draw keeps its cache on disk), printing wall time, the
drawing process's peak RSS and, for Spark, the driver JVM's peak RSS (``VmHWM`` of each
process, read from ``/proc`` when the ingest ends; in local mode the JVM also runs the
executors' work). ``--data-dir`` keeps the generated
logs there and reuses them on the next run. Target: the Spark driver's memory flat as the
log grows, <= 1 GB at 50M rows. Docs: docs/benchmarks/ingest-spark.md.

``--compare-versions main=/path/to/main/src,now=src --repeat 3`` instead runs versions of
Baton (each a ``src`` folder put first on ``PYTHONPATH``) alternately on the ``--rows``-row
Parquet log (kept under ``--data-dir`` when given) with a study they all read, printing
the medians of the ingest's wall time and of the process's processor time and which
versions drew the same items. Docs: docs/benchmarks/ingest.md.

``--compare-redaction`` instead times the Parquet ingest with the built-in redaction on and
off (alternately, ``--repeat`` times each; the medians count, of the ingest's wall time and
of the whole process's processor time, which a loaded machine disturbs less): ``python -m
benchmarks.ingest --compare-redaction --rows 500000``. With ``--pii-text`` every prompt and
answer carries a sentence full of numbers and personal data (dates, prices, order and part
numbers, phone numbers, e-mail addresses, cards, IBANs, keys; the digits differ from row to
row) in plain words, so the redactor's slow paths run on every item. Target: redaction adds
at most 25%.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import yaml

REGIONS = {"na": 0.40, "eu": 0.25, "apac": 0.15, "latam": 0.10, "mea": 0.06, "africa": 0.04}

_ROWS_SQL = """
SELECT
    i,
    CASE WHEN u < {c1} THEN 'na' WHEN u < {c2} THEN 'eu' WHEN u < {c3} THEN 'apac'
         WHEN u < {c4} THEN 'latam' WHEN u < {c5} THEN 'mea' ELSE 'africa' END AS region,
    CASE WHEN random() < 0.35 THEN CAST(floor(pow(random(), 3) * 40000) AS BIGINT)
         ELSE 1000000 + i END AS prompt_id,
    least(20000, greatest(8, CAST(exp(4.6 + 1.1 * z) AS INTEGER))) AS prompt_len,
    least(20000, greatest(8, CAST(exp(5.5 + 0.8 * z2) AS INTEGER))) AS answer_len,
    TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(CAST(random() * 2678400 AS BIGINT)) AS ts,
    (['free', 'pro', 'enterprise'])[1 + CAST(floor(pow(random(), 2) * 3) AS INTEGER)]
        AS segment
FROM (
    SELECT i, random() AS u,
        sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z,
        sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z2
    FROM range({n}) AS t(i)
)
"""

_LOG_SQL = """
SELECT
    region,
    'Question ' || prompt_id || ': ' || left(repeat(md5(CAST(prompt_id AS VARCHAR)) || ' '
        || md5(CAST(prompt_id * 7 AS VARCHAR)) || ' ', 1 + prompt_len // 66), prompt_len)
        || CASE WHEN prompt_id % 50 = 0 THEN ' reach me at user' || prompt_id
                || '@example.com' ELSE '' END AS prompt,
    left(repeat(md5(CAST(i AS VARCHAR)) || ' ', 1 + answer_len // 33), answer_len) AS answer,
    ts,
    segment
FROM rows_
"""


SENTENCES = [
    "My order 4711-{d} from 2024-01-15 has not arrived, call me on +44 20 7946 {d}.",
    "The invoice 2023-00{d} for $1,234.56 is due 14.02.2024, card 4111 1111 1111 1111.",
    "Upgrade from 3.11.4 to 3.12.1 broke build 10.0.19045.{d} on port 8080.",
    "Please write to jane.doe{d}@example.com or müller@beispiel.de about part 123-456-789.",
    "Transfer 250.00 EUR to DE89 3704 0044 0532 0130 00 before 31 March 2025.",
    "My key sk-proj-abcDEF{d}567890abcdefGHIJ1234 returns 401 since 10:30 today.",
    "Ring 030 1234{d} or (415) 867-{d} between 9 and 17, ticket #4{d}.",
    "We sold {d} units at 12.49 each in Q3 2023, up 12.5% on 2022.",
    "Nothing here but words about the weather and a question about the refund policy.",
    "Server 192.168.0.12 logs 2024-03-01T10:30:45Z errors with code 0x8007{d}.",
]
"""Sentences with numbers and personal data; each {d} becomes four digits of the row's own."""
FILLER = (
    "please help me understand why the monthly report shows different totals than the one "
    "from last week and what I should change in the settings to make them agree again "
)


def _sentence(key: str) -> str:
    """SQL: one of the sentences, chosen by ``key``, with the row's own digits in it."""
    options = []
    for k, sentence in enumerate(SENTENCES):
        parts = [f"'{part.replace(chr(39), chr(39) * 2)}'" for part in sentence.split("{d}")]
        digits = [
            f"lpad(CAST(({key} * {7919 + 104729 * j} + {k}) % 10000 AS VARCHAR), 4, '0')"
            for j in range(len(parts) - 1)
        ]
        pieces = [piece for pair in zip(parts, [*digits, ""], strict=True) for piece in pair]
        options.append(" || ".join(p for p in pieces if p))
    cases = " ".join(f"WHEN {k} THEN {option}" for k, option in enumerate(options))
    return f"(CASE CAST({key} % {len(SENTENCES)} AS INTEGER) {cases} END)"


_LOG_SQL_NUMBERS = """
SELECT
    region,
    'Question ' || prompt_id || ': ' || {prompt_sentence} || ' '
        || left(repeat('{filler}', 1 + prompt_len // {width}), prompt_len) AS prompt,
    {answer_sentence} || ' ' || left(repeat('{filler}', 1 + answer_len // {width}), answer_len)
        AS answer,
    ts,
    segment
FROM rows_
"""


def generate(
    folder: Path, rows: int, jsonl_rows: int, *, numbers: bool = False
) -> tuple[Path, Path, float]:
    """Write the Parquet and JSONL logs; return their paths and the seconds it took."""
    started = time.perf_counter()
    cuts, total = [], 0.0
    for share in REGIONS.values():
        total += share
        cuts.append(round(total, 6))
    bounds = {f"c{k + 1}": cut for k, cut in enumerate(cuts[:-1])}
    connection = duckdb.connect(config={"temp_directory": str(folder / "tmp")})
    try:
        connection.execute("SELECT setseed(0.42)")
        connection.execute(
            "CREATE TABLE rows_ AS " + _ROWS_SQL.format(n=max(rows, jsonl_rows), **bounds)
        )
        log_sql = _LOG_SQL
        if numbers:
            log_sql = _LOG_SQL_NUMBERS.format(
                prompt_sentence=_sentence("prompt_id"),
                answer_sentence=_sentence("i"),
                filler=FILLER,
                width=len(FILLER),
            )
        parquet = folder / "logs.parquet"
        connection.execute(
            f"COPY ({log_sql} WHERE i < {rows}) TO '{parquet}' "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
        )
        jsonl = folder / "logs.jsonl"
        connection.execute(f"COPY ({log_sql} WHERE i < {jsonl_rows}) TO '{jsonl}' (FORMAT json)")
    finally:
        connection.close()
    return parquet, jsonl, time.perf_counter() - started


def write_study(
    folder: Path,
    sample: int,
    *,
    redaction: bool = True,
    name: str = "study",
    engine: str | None = "duckdb",
) -> Path:
    ingest: dict[str, object] = {
        "fields": {"timestamp": "ts", "segment": "segment", "incumbent_answer": "answer"},
        "sampling": {"size": sample, "strata": ["segment"], "seed": 7},
        "redaction": {"builtins": redaction},
    }
    if engine is not None:  # without: a study older versions of Baton read too
        ingest["engine"] = engine
        spark = {"master": "local[2]", "conf": SPARK_CONF | {"spark.local.dir": str(folder)}}
        ingest["spark"] = spark
    study = {
        "name": "bench-ingest",
        "service": {"system_prompt": "You are the support assistant."},
        "incumbent": {"name": "current", "provider": "fake", "model": "m-old"},
        "candidates": [{"name": "cand", "provider": "fake", "model": "m-new"}],
        "regions": [{"name": name, "traffic_share": share} for name, share in REGIONS.items()],
        "dimensions": [
            {
                "name": "correctness",
                "judge": {"name": "simulated"},
                "rubric": "Correct?",
                "margin": 0.03,
            }
        ],
        "labels": {"budget": 600},
        "ingest": ingest,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    return path


SPARK_CONF = {
    "spark.driver.memory": "512m",
    "spark.sql.shuffle.partitions": "16",
    "spark.sql.files.maxPartitionBytes": "64m",
}

_CHILD = (
    "import os, re, sys, time\n"
    "from baton.cli.main import main\n"
    "def hwm(pid):\n"
    "    try:\n"
    "        status = open(f'/proc/{pid}/status').read()\n"
    "    except OSError:\n"
    "        return 0\n"
    "    found = re.search(r'VmHWM:\\s+(\\d+) kB', status)\n"
    "    return int(found.group(1)) if found else 0  # a process that has exited has none\n"
    "def descendants(pid):\n"
    "    found = []\n"
    "    try:\n"
    "        tasks = os.listdir(f'/proc/{pid}/task')\n"
    "    except OSError:\n"
    "        return found\n"
    "    for task in tasks:\n"
    "        try:\n"
    "            children = open(f'/proc/{pid}/task/{task}/children').read().split()\n"
    "        except OSError:\n"
    "            continue\n"
    "        for child in children:\n"
    "            found += [int(child), *descendants(int(child))]\n"
    "    return found\n"
    "started = time.perf_counter()\n"
    "code = main(sys.argv[1:])\n"
    "took = time.perf_counter() - started\n"
    "jvm = sum(hwm(pid) for pid in descendants(os.getpid()))  # the JVM outlives its session\n"
    "print(hwm('self'), took, jvm, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def run_ingest(
    study: Path, log: Path, store: Path, env: dict[str, str] | None = None
) -> dict[str, float | int]:
    """Run ``baton ingest`` in a fresh process (``env``: its environment): wall seconds,
    processor seconds, its peak RSS, the figures."""
    command = [sys.executable, "-c", _CHILD, "ingest", str(study), str(log)]
    command += ["--store", f"sqlite:///{store}", "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"ingest failed: {done.stderr}")
    summary = json.loads(done.stdout)
    peak_kb, took, jvm_kb = done.stderr.strip().splitlines()[-1].split()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "ingest_seconds": float(took),
        "peak_rss_mb": int(peak_kb) / 1024,
        "jvm_peak_rss_mb": int(jvm_kb) / 1024,
        "items": summary["items_written"],
        "records": summary["records"],
    }


def compare_redaction(folder: Path, rows: int, sample: int, repeat: int, *, numbers: bool) -> None:
    """Time the Parquet ingest with the built-in redaction on and off, alternately."""
    text = "sentences full of numbers and personal data" if numbers else "the usual text"
    print(f"generating a {rows:,}-row Parquet log with {text} ...", flush=True)
    parquet, _jsonl, seconds = generate(folder, rows, 1, numbers=numbers)
    print(f"  generated in {seconds:.1f} s")
    studies = {
        "on": write_study(folder, sample, redaction=True, name="with"),
        "off": write_study(folder, sample, redaction=False, name="without"),
    }
    walls: dict[str, list[float]] = {"on": [], "off": []}
    cpus: dict[str, list[float]] = {"on": [], "off": []}
    print(f"{'redaction':<12}{'run':>5}{'drawn':>8}{'process s':>11}{'ingest s':>10}{'cpu s':>8}")
    for run in range(1, repeat + 1):
        for label, study in studies.items():
            store = folder / f"{label}-{run}.db"
            result = run_ingest(study, parquet, store)
            walls[label].append(float(result["ingest_seconds"]))
            cpus[label].append(float(result["cpu_seconds"]))
            print(
                f"{label:<12}{run:>5}{result['items']:>8,}{result['seconds']:>11.2f}"
                f"{result['ingest_seconds']:>10.2f}{result['cpu_seconds']:>8.2f}",
                flush=True,
            )
    for what, runs in (("ingest wall", walls), ("process cpu", cpus)):
        on, off = statistics.median(runs["on"]), statistics.median(runs["off"])
        print(f"median {what}: {on:.2f} s with redaction, {off:.2f} s without: {on / off - 1:+.1%}")


def _parquet_log(data_dir: Path, rows: int) -> tuple[Path, Path]:
    """The folder and the Parquet log of ``rows`` rows under ``data_dir``, generated once."""
    folder = data_dir / f"rows-{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    parquet = folder / "logs.parquet"
    if not parquet.exists():
        print(f"generating {rows:,} rows in {folder} ...", flush=True)
        (folder / "tmp").mkdir(exist_ok=True)
        _parquet, jsonl, seconds = generate(folder, rows, 1)
        jsonl.unlink()
        print(f"  generated in {seconds:.1f} s", flush=True)
    return folder, parquet


def compare_versions(
    data_dir: Path, rows: int, versions: dict[str, str], sample: int, repeat: int
) -> None:
    """Versions of Baton (their ``src`` folders) alternately on the same Parquet log: the
    medians of the ingest's wall time and of the process's processor time, and whether
    they drew the same items."""
    folder, parquet = _parquet_log(data_dir, rows)
    study = write_study(folder, sample, engine=None, name="study-versions")
    walls: dict[str, list[float]] = {name: [] for name in versions}
    cpus: dict[str, list[float]] = {name: [] for name in versions}
    drawn: dict[str, set[tuple[object, ...]]] = {}
    print(f"{'version':<12}{'run':>5}{'drawn':>8}{'process s':>11}{'ingest s':>10}{'cpu s':>8}")
    for run in range(1, repeat + 1):
        for name, src in versions.items():
            store = folder / f"version-{name}.db"
            store.unlink(missing_ok=True)
            env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
            result = run_ingest(study, parquet, store, env)
            drawn.setdefault(name, _items(store))
            walls[name].append(float(result["ingest_seconds"]))
            cpus[name].append(float(result["cpu_seconds"]))
            print(
                f"{name:<12}{run:>5}{result['items']:>8,}{result['seconds']:>11.2f}"
                f"{result['ingest_seconds']:>10.2f}{result['cpu_seconds']:>8.2f}",
                flush=True,
            )
            store.unlink()
    for name in versions:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"median {name}: ingest {wall:.2f} s, process cpu {cpu:.2f} s")
    groups: dict[frozenset[tuple[object, ...]], list[str]] = {}
    for name, items in drawn.items():
        groups.setdefault(frozenset(items), []).append(name)
    print("drew the same items: " + "; ".join(", ".join(names) for names in groups.values()))


def compare_engines(data_dir: Path, sizes: list[int], engines: list[str], sample: int) -> None:
    """Each engine on each size of Parquet log: wall time and the drawing processes' peaks."""
    print(
        f"{'rows':>12}{'engine':>8}{'drawn':>8}{'process s':>11}{'ingest s':>10}"
        f"{'python RSS':>12}{'JVM RSS':>10}"
    )
    for rows in sizes:
        folder, parquet = _parquet_log(data_dir, rows)
        drawn: dict[str, set[str]] = {}
        for engine in engines:
            study = write_study(folder, sample, engine=engine, name=f"study-{engine}")
            store = folder / f"{engine}.db"
            store.unlink(missing_ok=True)
            result = run_ingest(study, parquet, store)
            assert result["records"] == rows
            drawn[engine] = _item_ids(store)
            jvm = f"{result['jvm_peak_rss_mb']:>7,.0f} MB" if engine == "spark" else f"{'-':>10}"
            print(
                f"{rows:>12,}{engine:>8}{result['items']:>8,}{result['seconds']:>11.1f}"
                f"{result['ingest_seconds']:>10.1f}{result['peak_rss_mb']:>9,.0f} MB{jvm}",
                flush=True,
            )
        if len(drawn) > 1:
            same = len({frozenset(ids) for ids in drawn.values()}) == 1
            print(f"{'':>12}the engines drew {'the same' if same else 'DIFFERENT'} items")


def _items(store: Path) -> set[tuple[object, ...]]:
    """The drawn items as the store holds them (with their place in the design)."""
    columns = "item_id, region, prompt, segment, weight, inclusion_prob, frequency"
    connection = sqlite3.connect(store)
    try:
        return set(connection.execute(f"SELECT {columns} FROM items"))
    finally:
        connection.close()


def _item_ids(store: Path) -> set[str]:
    connection = sqlite3.connect(store)
    try:
        return {row[0] for row in connection.execute("SELECT item_id FROM items")}
    finally:
        connection.close()


def _in_data_dir(data_dir: Path | None, run: Callable[[Path], None]) -> None:
    """Run with ``data_dir``, or with a temporary folder removed afterwards."""
    folder = data_dir or Path(tempfile.mkdtemp(prefix="baton-bench-ingest-"))
    try:
        run(folder)
    finally:
        if data_dir is None:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_300_000, help="Parquet log rows")
    parser.add_argument("--jsonl-rows", type=int, default=1_000_000, help="JSONL log lines")
    parser.add_argument("--sample", type=int, default=10_000, help="items to draw")
    parser.add_argument("--keep", action="store_true", help="keep the generated folder")
    parser.add_argument(
        "--compare-redaction", action="store_true", help="time the ingest with redaction on/off"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (--compare-redaction)")
    parser.add_argument(
        "--pii-text",
        action="store_true",
        help="with --compare-redaction: a sentence of numbers and personal data in every record",
    )
    parser.add_argument(
        "--engines", default=None, help="compare engines on Parquet logs: duckdb,spark"
    )
    parser.add_argument(
        "--sizes", default="5300000", help="with --engines: Parquet rows, comma-separated"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="keep and reuse generated logs here"
    )
    parser.add_argument(
        "--compare-versions",
        default=None,
        help="time versions of Baton alternately: NAME=SRC_DIR,... (--rows, --repeat)",
    )
    args = parser.parse_args(argv)
    if args.compare_versions:
        versions = dict(pair.split("=", 1) for pair in args.compare_versions.split(","))
        _in_data_dir(
            args.data_dir,
            lambda folder: compare_versions(folder, args.rows, versions, args.sample, args.repeat),
        )
        return
    if args.engines:
        row_counts = [int(size) for size in args.sizes.split(",")]
        engines = args.engines.split(",")
        _in_data_dir(
            args.data_dir, lambda folder: compare_engines(folder, row_counts, engines, args.sample)
        )
        return
    folder = Path(tempfile.mkdtemp(prefix="baton-bench-ingest-"))
    if args.compare_redaction:
        try:
            compare_redaction(folder, args.rows, args.sample, args.repeat, numbers=args.pii_text)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        print(f"generating logs in {folder} ...", flush=True)
        parquet, jsonl, seconds = generate(folder, args.rows, args.jsonl_rows)
        sizes = {p.name: p.stat().st_size / 2**20 for p in (parquet, jsonl)}
        print(
            f"  generated in {seconds:.1f} s: "
            + ", ".join(f"{name} {mb:,.0f} MiB" for name, mb in sizes.items())
        )
        study = write_study(folder, args.sample)
        print(
            f"{'log':<16}{'records':>12}{'drawn':>8}{'process s':>11}{'ingest s':>10}"
            f"{'peak RSS':>12}"
        )
        for log, rows in ((parquet, args.rows), (jsonl, args.jsonl_rows)):
            result = run_ingest(study, log, folder / f"{log.stem}-{log.suffix[1:]}.db")
            assert result["records"] == rows
            print(
                f"{log.name:<16}{rows:>12,}{result['items']:>8,}{result['seconds']:>11.1f}"
                f"{result['ingest_seconds']:>10.1f}{result['peak_rss_mb']:>9,.0f} MB",
                flush=True,
            )
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
