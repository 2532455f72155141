"""A reusable graph view: nodes, edges and labels on a QGraphicsScene with a pluggable layout.

Callers describe a graph with plain frozen dataclasses and pick a layout function
(Graph -> {node id: Placement}); the view draws it, shows tooltips on hover, emits
node_selected on click, zooms (wheel, Ctrl+= / Ctrl+-), pans by dragging, and
exports PNG or SVG. Every text is shown verbatim: labels are plain-text items and
tooltips are escaped, because names often come from remote systems.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
)

BOX, ELLIPSE, BUS = "box", "ellipse", "bus"
NODE_SIZE = QSize(110, 34)
BUS_THICKNESS = 6.0
ZOOM_STEP = 1.25
MIN_SCALE, MAX_SCALE = 0.02, 20.0


@dataclass(frozen=True)
class GraphNode:
    """A node: an id unique in its graph, a short label, a tooltip and a shape."""

    id: str
    label: str
    tooltip: str = ""
    shape: str = BOX
    color: str = "#4a78b5"


@dataclass(frozen=True)
class GraphEdge:
    """An undirected edge between two node ids, with an optional label."""

    source: str
    target: str
    label: str = ""
    tooltip: str = ""


@dataclass(frozen=True)
class Graph:
    """Nodes and edges; edges naming unknown nodes are ignored when drawn."""

    nodes: tuple[GraphNode, ...] = ()
    edges: tuple[GraphEdge, ...] = ()


@dataclass(frozen=True)
class Placement:
    """Where a layout puts a node's centre; width is the length of a bus."""

    x: float
    y: float
    width: float = 0.0


Layout = Callable[[Graph], dict[str, Placement]]


def grid_layout(graph: Graph, spacing: float = 160.0) -> dict[str, Placement]:
    """Nodes in reading order on a square-ish grid; the default layout."""
    columns = max(1, math.ceil(math.sqrt(len(graph.nodes))))
    return {
        node.id: Placement((i % columns) * spacing, (i // columns) * spacing * 0.6)
        for i, node in enumerate(graph.nodes)
    }


def plain_tooltip(text: str) -> str:
    """Tooltip markup that shows text verbatim (Qt would otherwise guess it is HTML)."""
    return f"<p style='white-space:pre'>{html.escape(text)}</p>" if text else ""


class NodeItem(QGraphicsItem):
    """One drawn node: a box, an ellipse or a horizontal bus line, with its label."""

    def __init__(self, node: GraphNode, placement: Placement):
        super().__init__()
        self.node = node
        self.bus_width = max(placement.width, NODE_SIZE.width()) if node.shape == BUS else 0.0
        self.setPos(placement.x, placement.y)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setToolTip(plain_tooltip(node.tooltip or node.label))
        self.setZValue(1 if node.shape == BUS else 2)
        self._label = QGraphicsSimpleTextItem(node.label, self)
        rect = self._label.boundingRect()
        if node.shape == BUS:
            self._label.setPos(-self.bus_width / 2, -rect.height() - BUS_THICKNESS)
        else:
            self._label.setPos(-rect.width() / 2, -rect.height() / 2)

    def shape_rect(self) -> QRectF:
        """The node's body without its label."""
        if self.node.shape == BUS:
            return QRectF(-self.bus_width / 2, -BUS_THICKNESS / 2, self.bus_width, BUS_THICKNESS)
        label = self._label.boundingRect()
        width = max(NODE_SIZE.width(), label.width() + 16)
        return QRectF(-width / 2, -NODE_SIZE.height() / 2, width, NODE_SIZE.height())

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        """Body plus label plus room for the selection outline."""
        return self.shape_rect().united(self.childrenBoundingRect()).adjusted(-3, -3, 3, 3)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """Draw the body; a selected node gets a thick outline."""
        color = QColor(self.node.color)
        pen = QPen(color.darker(150), 3 if self.isSelected() else 1)
        painter.setPen(pen)
        rect = self.shape_rect()
        if self.node.shape == BUS:
            painter.fillRect(rect, color)
            if self.isSelected():
                painter.drawRect(rect.adjusted(-2, -2, 2, 2))
            return
        painter.setBrush(QBrush(color.lighter(170)))
        if self.node.shape == ELLIPSE:
            painter.drawEllipse(rect)
        else:
            painter.drawRoundedRect(rect, 6, 6)

    def anchor_towards(self, other: QPointF) -> QPointF:
        """Where an edge towards `other` meets this node (the nearest point of a bus)."""
        centre = self.pos()
        if self.node.shape != BUS:
            return centre
        half = self.bus_width / 2
        x = min(max(other.x(), centre.x() - half), centre.x() + half)
        return QPointF(x, centre.y())


class EdgeItem(QGraphicsLineItem):
    """A straight edge between two nodes with an optional label at its middle."""

    def __init__(self, edge: GraphEdge, source: NodeItem, target: NodeItem):
        start = source.anchor_towards(target.pos())
        end = target.anchor_towards(start)
        super().__init__(start.x(), start.y(), end.x(), end.y())
        self.edge = edge
        self.setPen(QPen(QColor("#7f8c8d"), 1.5))
        self.setZValue(0)
        self.setToolTip(plain_tooltip(edge.tooltip or edge.label))
        self.label_item: QGraphicsSimpleTextItem | None = None
        if edge.label:
            self.label_item = QGraphicsSimpleTextItem(edge.label, self)
            self.label_item.setBrush(QColor("#2c3e50"))
            mid = (start + end) / 2
            rect = self.label_item.boundingRect()
            self.label_item.setPos(mid.x() + 3, mid.y() - rect.height() / 2)


class GraphView(QGraphicsView):
    """Shows a Graph with a pluggable layout; emits node_selected(id) ('' when cleared)."""

    node_selected = Signal(str)

    def __init__(self, layout: Layout = grid_layout, parent=None):
        super().__init__(parent)
        self._layout = layout
        self._nodes: dict[str, NodeItem] = {}
        self._edges: list[EdgeItem] = []
        self.setScene(QGraphicsScene(self))
        self.scene().selectionChanged.connect(self._on_selection)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)

    # -- content -------------------------------------------------------------
    def set_graph(self, graph: Graph) -> None:
        """Replace the drawing; the selected node stays selected if it still exists."""
        selected = self.selected_node()
        scene = self.scene()
        scene.blockSignals(True)
        scene.clear()
        placements = self._layout(graph)
        self._nodes = {}
        for node in graph.nodes:
            item = NodeItem(node, placements.get(node.id, Placement(0.0, 0.0)))
            scene.addItem(item)
            self._nodes[node.id] = item
        self._edges = []
        for edge in graph.edges:
            source, target = self._nodes.get(edge.source), self._nodes.get(edge.target)
            if source is not None and target is not None:
                item = EdgeItem(edge, source, target)
                scene.addItem(item)
                self._edges.append(item)
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-40, -40, 40, 40))
        if selected in self._nodes:
            self._nodes[selected].setSelected(True)
        scene.blockSignals(False)
        if selected and selected not in self._nodes:
            self.node_selected.emit("")

    def node_items(self) -> dict[str, NodeItem]:
        """The drawn nodes by id."""
        return dict(self._nodes)

    def edge_items(self) -> list[EdgeItem]:
        """The drawn edges."""
        return list(self._edges)

    def selected_node(self) -> str:
        """Id of the selected node, or ''."""
        for node_id, item in self._nodes.items():
            if item.isSelected():
                return node_id
        return ""

    def select_node(self, node_id: str) -> None:
        """Select one node (or none with '') and centre it."""
        self.scene().clearSelection()
        item = self._nodes.get(node_id)
        if item is not None:
            item.setSelected(True)
            self.centerOn(item)

    def _on_selection(self) -> None:
        self.node_selected.emit(self.selected_node())

    # -- zoom and pan --------------------------------------------------------
    def scale_factor(self) -> float:
        """Current zoom, 1.0 being one scene unit per pixel."""
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        """Zoom around the mouse (or the centre), within sane limits."""
        target = min(max(self.scale_factor() * factor, MIN_SCALE), MAX_SCALE)
        ratio = target / self.scale_factor()
        self.scale(ratio, ratio)

    def zoom_in(self) -> None:
        """Zoom in one step."""
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        """Zoom out one step."""
        self.zoom_by(1 / ZOOM_STEP)

    def fit_all(self) -> None:
        """Show the whole graph."""
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Ctrl++ / Ctrl+= zoom in, Ctrl+- zooms out, Ctrl+0 fits the whole graph."""
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if event.matches(QKeySequence.StandardKey.ZoomIn) or (ctrl and event.key() == Qt.Key.Key_Equal):
            self.zoom_in()
        elif event.matches(QKeySequence.StandardKey.ZoomOut) or (ctrl and event.key() == Qt.Key.Key_Minus):
            self.zoom_out()
        elif ctrl and event.key() == Qt.Key.Key_0:
            self.fit_all()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt API
        """The wheel zooms; one notch is one step."""
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(ZOOM_STEP ** steps)
            event.accept()
        else:
            super().wheelEvent(event)

    # -- export --------------------------------------------------------------
    def render_image(self, scale: float = 2.0) -> QImage:
        """The whole scene as an image at `scale` pixels per scene unit."""
        rect = self.scene().sceneRect()
        size = QSize(max(1, int(rect.width() * scale)), max(1, int(rect.height() * scale)))
        image = QImage(size, QImage.Format.Format_ARGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.scene().render(painter, QRectF(0, 0, size.width(), size.height()), rect)
        painter.end()
        return image

    def export_png(self, path: str, scale: float = 2.0) -> bool:
        """Write the whole graph as a PNG; False if it could not be written."""
        return self.render_image(scale).save(path, "PNG")

    def export_svg(self, path: str) -> bool:
        """Write the whole graph as an SVG; False if it could not be written."""
        from PySide6.QtSvg import QSvgGenerator

        rect = self.scene().sceneRect()
        generator = QSvgGenerator()
        generator.setFileName(path)
        generator.setSize(QSize(int(rect.width()), int(rect.height())))
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle("Cluster Lab graph")
        painter = QPainter()
        if not painter.begin(generator):
            return False
        self.scene().render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
        return painter.end()
