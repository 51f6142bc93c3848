"""Visual inspection of units' surfaces, trained on normal images only.

``VisionInspector.fit(scans)`` learns normal; ``.score(scan)`` answers an
:class:`Inspection` (score, heat map, verdict); ``save`` / ``load`` keep it in a versioned
model file.
"""

from openfab.quality.vision.calibration import Calibration
from openfab.quality.vision.inspector import Settings, VisionInspector
from openfab.quality.vision.types import Inspection, Scan

__all__ = ["Calibration", "Inspection", "Scan", "Settings", "VisionInspector"]
