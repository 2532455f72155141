"""Help → About: the versions of the app and of what it runs on."""
from __future__ import annotations

import platform

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from app.version import __version__


def about_text() -> str:
    """Plain-text version report: app, Python, Qt and PySide6."""
    return "\n".join(
        [
            f"Cluster Lab {__version__}",
            f"Python {platform.python_version()}",
            f"Qt {qVersion()}",
            f"PySide6 {PySide6.__version__}",
        ]
    )


def show_about(parent: QWidget | None) -> QMessageBox:
    """Open the About box without blocking the event loop and return it."""
    box = QMessageBox(parent)
    box.setObjectName("aboutBox")
    box.setWindowTitle("About Cluster Lab")
    box.setIcon(QMessageBox.Icon.Information)
    box.setText(
        "Cluster Lab: hosts, Docker networks and cluster components of an "
        "infrastructure lab in dockable panels."
    )
    box.setInformativeText(about_text())
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
