"""Hypothesis fuzzing: every hardware parser and the frame decoder turn garbage into ParseError.

Inputs are random text and random edits of the recorded real outputs, which reach far
deeper into a parser than random text alone.
"""
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.errors import ParseError, ServiceError
from services.hardware import parsers_proc as proc
from services.hardware import parsers_tools as tools
from services.hardware.frames import FrameDecoder
from services.hardware.model import HardwareSample
from services.hardware.sampler import HardwareSampler

DATA = Path(__file__).parent / "data" / "hardware"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def seeds(*names: str) -> list[str]:
    """Texts of recorded files used as starting points for mutation."""
    return [(DATA / name).read_text() for name in names]


TEXT_PARSERS = {
    proc.parse_proc_stat: seeds("debian12-kvm/proc_stat", "derived/proc_stat-2.4"),
    proc.parse_meminfo: seeds("debian12-kvm/proc_meminfo", "derived/proc_meminfo-2.6.32"),
    proc.parse_loadavg: seeds("debian12-kvm/proc_loadavg"),
    proc.parse_uptime: seeds("debian12-kvm/proc_uptime"),
    proc.parse_net_dev: seeds("debian12-kvm/proc_net_dev", "derived/proc_net_dev-2.6"),
    proc.parse_diskstats: seeds("derived/proc_diskstats-partitions", "derived/proc_diskstats-2.6.18"),
    tools.parse_os_release: seeds("debian12-kvm/etc_os-release"),
    tools.parse_lscpu: seeds("debian12-kvm/lscpu.txt", "derived/lscpu-arm-rpi4.txt"),
    tools.parse_cpuinfo: seeds("debian12-kvm/proc_cpuinfo", "derived/cpuinfo-arm-rpi4"),
    tools.parse_lsblk: seeds("debian12-kvm/lsblk.json", "derived/lsblk-2.33.json"),
    tools.parse_mounts: seeds("debian12-kvm/proc_mounts"),
    tools.parse_df: seeds("debian12-kvm/df-P-B1.txt", "busybox/df.txt"),
    tools.parse_ip_json: seeds("debian12-kvm/ip-j-addr.json"),
    tools.parse_ip_text: seeds("debian12-kvm/ip-addr.txt", "busybox/ip-addr.txt"),
    tools.parse_link_speed: ["1000\n", "-1\n"],
    tools.parse_lspci: seeds("debian12-kvm/lspci-mm.txt"),
    tools.parse_dmidecode_memory: seeds("derived/dmidecode-memory-2dimms.txt"),
    tools.parse_dmi_product: ["Standard PC (Q35 + ICH9, 2009)\n"],
    tools.parse_detect_virt: seeds("debian12-kvm/systemd-detect-virt.txt"),
    tools.cpuinfo_has_hypervisor: seeds("debian12-kvm/proc_cpuinfo"),
}
PARSERS = st.sampled_from(sorted(TEXT_PARSERS, key=lambda p: p.__name__))
# Fuzzed by tests of their own below: a frame (not a text) in, or a pure name rule.
OTHER_FUZZED = {"parse_hwmon", "partition_parent"}


def test_every_parser_is_fuzzed():
    public = {
        name for module in (proc, tools) for name in dir(module)
        if name.startswith(("parse_", "partition_", "cpuinfo_"))
        and getattr(getattr(module, name), "__module__", "") == module.__name__
    }
    fuzzed = {parse.__name__ for parse in TEXT_PARSERS} | OTHER_FUZZED
    assert public - fuzzed == set()


@st.composite
def mutated(draw, seed_texts: list[str]) -> str:
    """A recorded text with a few random deletions, insertions and duplications."""
    text = draw(st.sampled_from(seed_texts))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        edit = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate"]))
        if edit == "delete":
            text = text[:start] + text[end:]
        elif edit == "insert":
            text = text[:start] + draw(st.text(max_size=12)) + text[start:]
        elif edit == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        else:
            text = text[:start]
    return text


def parse_or_error(parse, text: str):
    """Run a parser; ParseError is the only failure allowed."""
    try:
        return parse(text)
    except ParseError as exc:
        assert exc.source and exc.reason
        return None


@FUZZ
@given(PARSERS, st.text(max_size=300))
def test_random_text(parse, text):
    parse_or_error(parse, text)


@FUZZ
@given(st.data())
def test_mutated_recordings(data):
    parse = data.draw(PARSERS)
    parse_or_error(parse, data.draw(mutated(TEXT_PARSERS[parse])))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["name", "type", "size", "model", "mountpoints",
                                       "mountpoint", "children", "blockdevices", "ifname",
                                       "address", "mtu", "operstate", "addr_info", "local",
                                       "prefixlen"]), inner, max_size=6),
    max_leaves=30,
)


@FUZZ
@given(st.sampled_from([tools.parse_lsblk, tools.parse_ip_json]), JSON_VALUES)
def test_structurally_wrong_json(parse, value):
    parse_or_error(parse, json.dumps(value))


def test_deeply_nested_json():
    parse_or_error(tools.parse_lsblk, "[" * 100_000 + "]" * 100_000)
    nested = {"name": "sda", "children": []}
    for _ in range(50):
        nested = {"name": "sda", "children": [nested]}
    parse_or_error(tools.parse_lsblk, json.dumps({"blockdevices": [nested]}))


HWMON_PATHS = st.builds(
    lambda chip, n, kind: f"/sys/class/hwmon/hwmon{chip}/" + (
        "name" if kind == "name" else f"temp{n}_{kind}"),
    st.integers(0, 3), st.integers(0, 3), st.sampled_from(["name", "input", "label"]),
)


@FUZZ
@given(st.dictionaries(HWMON_PATHS | st.text(max_size=20),
                       st.text(max_size=12) | st.integers(-10**7, 10**7).map(str), max_size=8))
def test_hwmon_frames(frame):
    parse_or_error(proc.parse_hwmon, frame)


@FUZZ
@given(st.lists(st.text(max_size=6)), st.text(max_size=8))
def test_partition_parent_names_only_listed_disks(names, name):
    parent = proc.partition_parent(name, set(names))
    assert parent is None or (parent in names and name.startswith(parent))


RECORDED_STREAM = (DATA / "derived/frames-hwmon.txt").read_text()


@FUZZ
@given(st.lists(st.text(max_size=40) | mutated([RECORDED_STREAM]).map(lambda t: t[:400]),
                min_size=1, max_size=6))
def test_frame_decoder_garbage(chunks):
    decoder = FrameDecoder()
    try:
        for chunk in chunks:
            for frame in decoder.feed(chunk):
                assert all(p.startswith(("/proc/", "/sys/")) for p in frame)
    except ParseError:
        pass


@FUZZ
@given(st.lists(st.integers(0, len(RECORDED_STREAM)), max_size=10))
def test_frame_decoder_any_chunking_gives_the_same_frames(cuts):
    whole = FrameDecoder().feed(RECORDED_STREAM)
    decoder, frames, last = FrameDecoder(), [], 0
    for cut in sorted(cuts) + [len(RECORDED_STREAM)]:
        frames += decoder.feed(RECORDED_STREAM[last:cut])
        last = cut
    assert frames == whole and len(whole) == 3


GOOD_FRAMES = FrameDecoder().feed(RECORDED_STREAM)


@FUZZ
@given(st.data())
def test_sampler_survives_garbage_files(data):
    sampler = HardwareSampler()
    for good in GOOD_FRAMES:
        frame = dict(good)
        for path in data.draw(st.lists(st.sampled_from(sorted(frame)), max_size=3)):
            frame[path] = data.draw(mutated([frame[path]]) | st.text(max_size=30))
        try:
            sample = sampler.feed(frame)
        except ServiceError:
            raise AssertionError("a garbage file must degrade one part, not the sample")
        assert sample is None or isinstance(sample, HardwareSample)
