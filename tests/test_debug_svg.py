"""The page-table picture (xv6py/debug/svg.py): well-formed SVG, one group per
live process, shared frames drawn once and connected to every process mapping them."""

import xml.etree.ElementTree as ET

import pytest

from xv6py.debug import ptdata, svg
from xv6py.machine import Machine
from xv6py.programs import program_path
from xv6py.testing.kcall import Syscaller

NS = {"s": "http://www.w3.org/2000/svg"}


@pytest.fixture
def h():
    return Syscaller(Machine())


def picture(h, tmp_path):
    path = tmp_path / "pt.svg"
    svg.draw(h.m, path)
    return ET.parse(path).getroot()


def shmtest_state(h):
    """What shmtest reaches: a parent and a child with one 2-page segment attached."""
    parent = h.spawn("shmtest")
    seg = h.call(parent, "shm_create", 8192)
    h.call(parent, "shm_attach", seg, 0x10000000)
    child = h.fork(parent)
    return parent, child, seg


def test_one_group_per_live_process(h, tmp_path):
    parent, child, _ = shmtest_state(h)
    root = picture(h, tmp_path)
    groups = root.findall("s:g[@class='proc']", NS)
    assert [g.get("data-pid") for g in groups] == [str(p.pid) for p in ptdata.live_procs(h.m)]
    assert {str(parent.pid), str(child.pid)} <= {g.get("data-pid") for g in groups}
    texts = " ".join(t.text or "" for t in root.iter(f"{{{NS['s']}}}text"))
    assert f"page directory {parent.pgdir:#010x}" in texts and f"page directory {child.pgdir:#010x}" in texts


def test_shared_frames_are_drawn_once_and_connected(h, tmp_path):
    parent, child, seg = shmtest_state(h)
    root = picture(h, tmp_path)
    (box,) = root.findall(f".//s:g[@id='shm-{seg}']", NS)
    texts = [t.text for t in box.iter(f"{{{NS['s']}}}text")]
    frames = h.m.shm_segments()[0]["frames"]
    assert [f"page {i}: frame {f:#010x}" for i, f in enumerate(frames)] == texts[1:]
    links = root.findall(f".//s:path[@data-to='shm-{seg}']", NS)
    assert sorted(int(p.get("data-pid")) for p in links) == [parent.pid, child.pid]
    assert {p.get("class") for p in links} == {"share"}       # highlighted: more than one process
    # Private frames are drawn in their process's band, never in the shared column.
    stack = [r for r in ptdata.mappings(h.m, parent.pgdir, parent.sz) if r.label == "stack"][0]
    proc = root.find(f"s:g[@data-pid='{parent.pid}']", NS)
    assert f"{stack.frames[0]:#010x}" in " ".join(t.text for t in proc.iter(f"{{{NS['s']}}}text"))
    assert root.findall(".//s:path[@data-to]", NS) == links


def test_a_segment_mapped_by_one_process_is_not_highlighted_as_shared(h, tmp_path):
    p = h.spawn("shmtest")
    seg = h.call(p, "shm_create", 4096)
    h.call(p, "shm_attach", seg, 0x10000000)
    spare = h.call(p, "shm_create", 4096)
    root = picture(h, tmp_path)
    (link,) = root.findall(".//s:path[@data-to]", NS)
    assert (link.get("class"), link.get("data-to")) == ("single", f"shm-{seg}")
    spare_box = root.find(f".//s:g[@id='shm-{spare}']", NS)
    assert "not mapped" in next(spare_box.iter(f"{{{NS['s']}}}text")).text


def test_names_are_escaped_and_nothing_is_fetched(h, tmp_path):
    h.m.add_program("a<b&c", program_path("hello").read_bytes())
    h.spawn("a<b&c")
    text = svg.render(h.m)
    ET.fromstring(text)                                       # well-formed despite the name
    assert "a&lt;b&amp;c" in text
    assert "http" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "@import" not in text and "url(" not in text.replace("url(#arrow)", "")
