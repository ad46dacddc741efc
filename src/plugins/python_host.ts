/**
 * The host script for python plugins, shipped as text and run with
 * `python3 -I -u -c`, so that no Python package and no file on disk is
 * needed. It imports the plugin's `.py` file and, for each newline on stdin,
 * prints what `collect(options)` returned as JSON lines and then an empty
 * line. The plugin's own prints go to stderr, never into the protocol.
 * @module
 */

/** The script (Python 3). */
export const PYTHON_HOST = String.raw`
import importlib.util, json, os, sys
path = sys.argv[1]
sys.path.insert(0, os.path.dirname(path))
out = sys.stdout
sys.stdout = sys.stderr
def report(msg):
    out.write(json.dumps({"sextant_error": msg[:500]}) + "\n")
try:
    opts = json.loads(os.environ.get("SEXTANT_PLUGIN_OPTIONS", "{}"))
    spec = importlib.util.spec_from_file_location("sextant_plugin", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if not callable(getattr(mod, "collect", None)):
        raise TypeError("the module has no collect(options) function")
except BaseException as e:
    report("cannot load the plugin: %s: %s" % (type(e).__name__, e))
    out.flush()
    sys.exit(3)
for _ in sys.stdin:
    try:
        items = mod.collect(opts)
        for item in (items or []):
            out.write(json.dumps(item, default=str) + "\n")
    except Exception as e:
        report("collect() raised %s: %s" % (type(e).__name__, e))
    out.write("\n")
    out.flush()
`;
