"""An example python plugin: Sextant calls collect(options) once per collection."""
import os
import random


def collect(options):
    load1, _, _ = os.getloadavg()
    out = [{"name": "load1", "value": load1}]
    for i in range(int(options.get("samples", 2))):
        out.append({"name": "random", "value": random.random(), "attributes": {"i": str(i)}})
    return out
