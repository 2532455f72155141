"""The reusable graph view and the Docker bus layout, without an engine."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent

from services.docker.model import DockerNetworksSnapshot, EngineInfo
from tests.docker.test_parsers import load_json, read
from services.docker.parsers import parse_containers, parse_networks
from services.docker.snapshot import merge_endpoints
from views.docker_topology import HOST_ID, bus_layout, container_node_id, network_node_id, topology_graph
from views.graph_view import BUS, Graph, GraphEdge, GraphNode, GraphView, Placement

GRAPH = Graph(
    (GraphNode("a", "<b>a</b> $(id)", "tip <i>x</i>"), GraphNode("b", "b"), GraphNode("bus", "bus", shape=BUS)),
    (GraphEdge("a", "bus", "10.0.0.1"), GraphEdge("b", "bus"), GraphEdge("a", "missing")),
)


def test_nodes_edges_labels_and_verbatim_text(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.set_graph(GRAPH)
    assert set(view.node_items()) == {"a", "b", "bus"}
    assert len(view.edge_items()) == 2  # the edge to an unknown node is dropped
    item = view.node_items()["a"]
    assert item._label.text() == "<b>a</b> $(id)"
    assert "&lt;i&gt;x&lt;/i&gt;" in item.toolTip() and "<i>" not in item.toolTip()
    assert [e.label_item.text() for e in view.edge_items() if e.label_item] == ["10.0.0.1"]


def test_pluggable_layout_and_bus_anchor(qtbot):
    def layout(graph):
        return {"a": Placement(500, -100), "b": Placement(-900, -100), "bus": Placement(0, 0, 400)}
    view = GraphView(layout)
    qtbot.addWidget(view)
    view.set_graph(GRAPH)
    assert view.node_items()["a"].pos() == QPointF(500, -100)
    lines = {e.edge.source: e.line() for e in view.edge_items()}
    # Edges meet the bus at the nearest point of the bus, clamped to its ends.
    assert lines["a"].p2() == QPointF(200, 0) and lines["b"].p2() == QPointF(-200, 0)


def test_click_selection_emits_node_id(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.set_graph(GRAPH)
    view.fit_all()
    item = view.node_items()["b"]
    with qtbot.waitSignal(view.node_selected) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.mapFromScene(item.scenePos()))
    assert blocker.args == ["b"] and view.selected_node() == "b"
    view.set_graph(GRAPH)  # a refresh keeps the selection
    assert view.selected_node() == "b"
    with qtbot.waitSignal(view.node_selected) as blocker:
        view.set_graph(Graph((GraphNode("a", "a"),)))
    assert blocker.args == [""]


def test_zoom_by_wheel_and_keys(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.show()
    view.set_graph(GRAPH)
    before = view.scale_factor()
    wheel = QWheelEvent(QPointF(10, 10), QPointF(10, 10), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    view.wheelEvent(wheel)
    assert abs(view.scale_factor() - before * 1.25 ** 2) < 1e-9
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert abs(view.scale_factor() - before * 1.25) < 1e-9
    qtbot.keyClick(view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert abs(view.scale_factor() - before * 1.25 ** 2) < 1e-9


def test_export_png_and_svg(qtbot, tmp_path):
    view = GraphView()
    qtbot.addWidget(view)
    view.set_graph(GRAPH)
    png, svg = tmp_path / "g.png", tmp_path / "g.svg"
    assert view.export_png(str(png)) and view.export_svg(str(svg))
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 100
    text = svg.read_text()
    assert "<svg" in text and "&lt;b&gt;a&lt;/b&gt; $(id)" in text


def _recorded_snapshot():
    containers = parse_containers(load_json(read("container_inspect.json"), "x"))
    networks = merge_endpoints(parse_networks(load_json(read("api_networks.json"), "x")), containers)
    return DockerNetworksSnapshot(EngineInfo("e", "unix:///x", "running"), networks, containers,
                                  {}, "ok")


def test_topology_buses_containers_and_layout():
    snap = _recorded_snapshot()
    graph = topology_graph(snap)
    ids = {n.id for n in graph.nodes}
    web = next(c for c in snap.containers if c.name == "web")
    assert container_node_id(web.id) in ids and HOST_ID in ids
    web_edges = {e.target: e.label for e in graph.edges if e.source == container_node_id(web.id)}
    assert set(web_edges.values()) == {"10.77.1.2", "10.77.2.2"}
    places = bus_layout(graph)
    assert set(places) == ids
    buses = [n.id for n in graph.nodes if n.shape == BUS]
    assert len({places[b].y for b in buses}) == len(buses)  # one row per bus
    containers = [n.id for n in graph.nodes if n.id.startswith("ctr:")]
    assert len({places[c].x for c in containers}) == len(containers)  # one column each
    kind = next(n for n in snap.networks if n.name == "kind")
    assert "(kind)" in next(n.label for n in graph.nodes if n.id == network_node_id(kind.id))
