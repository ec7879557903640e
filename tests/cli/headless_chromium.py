"""A real browser for tests: Debian's headless Chromium driven over the DevTools protocol
(python3-websocket), and Debian's html5lib as a strict HTML parser. Both are installed with
apt-get when missing and the test runs as root, as slurm_cluster.py does for Slurm.

    reason = HeadlessChromium.unavailable()    # None, or why no browser can run here
    with HeadlessChromium(folder) as browser:  # started; stopped on leaving, also on failure
        page = browser.open("file:///tmp/x.html")
        page.requests       # every URL the page asked for (Network.requestWillBeSent)
        page.evaluate("document.title")
"""
import json
import os
import shutil
import subprocess
import time
import urllib.request

from debian_packages import apt_install

PACKAGES = ["chromium", "python3-websocket", "python3-html5lib"]

# Headless without a sandbox (root in a container), and with none of Chromium's own traffic
# (component updates, sync, field trials, QUIC probes): only the page's requests remain.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--remote-debugging-port=0"]


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _missing():
    missing = [] if _chromium() else ["chromium"]
    for module, package in (("websocket", "python3-websocket"), ("html5lib", "python3-html5lib")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    return missing


def validate_html(text):
    """The parse errors of a strict HTML5 parser (html5lib), as text; "" when there are none."""
    import html5lib
    parser = html5lib.HTMLParser(strict=False)
    parser.parse(text)
    return "\n".join(f"line {pos[0]}, column {pos[1]}: {code} {data}" for pos, code, data in parser.errors)


class Page:
    def __init__(self, socket):
        self._socket = socket
        self._next_id = 0
        self.requests = []   # URLs, in the order the page asked for them
        self.loaded = False

    def _handle_event(self, message):
        if message.get("method") == "Network.requestWillBeSent":
            self.requests.append(message["params"]["request"]["url"])
        elif message.get("method") == "Page.loadEventFired":
            self.loaded = True

    def call(self, method, **params):
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._handle_event(message)

    def wait_for_load(self, timeout=60):
        deadline = time.time() + timeout
        while not self.loaded:
            if time.time() > deadline:
                raise TimeoutError("the page did not finish loading")
            self._socket.settimeout(max(0.1, deadline - time.time()))
            self._handle_event(json.loads(self._socket.recv()))
        self._socket.settimeout(None)

    def close(self):
        self._socket.close()

    def evaluate(self, expression):
        """The value of a JavaScript expression (awaited when it is a promise)."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")


class HeadlessChromium:
    @staticmethod
    def unavailable():
        """None when the browser and the parser can run here (installing them when they are
        missing and we are root), else the reason they cannot."""
        if not _missing():
            return None
        if os.geteuid() != 0:
            return (f"{', '.join(_missing())} missing and only root can install them: "
                    f"apt-get install {' '.join(PACKAGES)}")
        if not shutil.which("apt-get"):
            return f"{', '.join(_missing())} missing and there is no apt-get to install them with"
        why = apt_install(PACKAGES, timeout=600)
        if why:
            return f"the browser could not be installed: {why}"
        missing = _missing()
        return f"after installing {' '.join(PACKAGES)}, still missing: {', '.join(missing)}" if missing else None

    def __init__(self, folder):
        self.profile = os.path.join(folder, "chromium-profile")   # fresh: no state from earlier runs
        self.process = None
        self.port = None
        self.pages = []

    def __enter__(self):
        os.makedirs(self.profile, exist_ok=True)
        self.log = os.path.join(self.profile, "chromium.log")
        with open(self.log, "w") as log:
            self.process = subprocess.Popen([_chromium(), *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                            stdout=subprocess.DEVNULL, stderr=log)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while (port := self._read_port(port_file)) is None:
            if self.process.poll() is not None:
                with open(self.log) as log:
                    raise RuntimeError(f"chromium exited ({self.process.returncode}): {log.read()[-2000:]}")
            if time.time() > deadline:
                raise TimeoutError("chromium did not open its DevTools port in 60 s")
            time.sleep(0.1)
        self.port = port
        return self

    @staticmethod
    def _read_port(port_file):
        """The port Chromium wrote (first line of DevToolsActivePort), None until it has."""
        try:
            with open(port_file) as f:
                lines = f.read().split("\n")
        except FileNotFoundError:
            return None
        return int(lines[0]) if len(lines) > 1 and lines[0].isdigit() else None

    def __exit__(self, *exc):
        for page in self.pages:
            page.close()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return False

    def open(self, url):
        """A new tab, listening to the network from before the navigation, loaded with `url`."""
        import websocket
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=30) as response:
            target = json.load(response)
        page = Page(websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60, suppress_origin=True))
        self.pages.append(page)
        page.call("Network.enable")
        page.call("Page.enable")
        page.call("Page.navigate", url=url)
        page.wait_for_load()
        return page
