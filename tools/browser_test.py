#!/usr/bin/env python3
"""End-to-end browser tests of `sweep report` and `sweep dashboard`, as a person would see them.

Runs small sweeps in a temporary folder, writes their reports, and opens them, then a running
dashboard, in headless Chromium driven through its DevTools protocol (a small WebSocket client
below: the standard library only, nothing to install but Debian's chromium). It checks that no
page logs an error, that every plot is drawn with the right number of marks (one point per
trial, one line per complete trial, ...), that diverged trials are never drawn as numbers, and
that a trial finished after the dashboard's page loaded appears on it without a reload.

Usage: tools/browser_test.py [PATH-TO-SWEEP] [--screenshots DIR]
Every file it makes is under one temporary folder, and the dashboard listens on a port the
system chooses (--port 0), so it can run beside anything else.
"""
import argparse
import base64
import csv
import io
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

DEADLINE_SECONDS = 90  # how long a page may take to show what it must; only a hang fails on it


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)
    print("  ok:", message)


# ---- A minimal WebSocket client (RFC 6455), enough for the DevTools protocol ---------------

class WebSocket:
    def __init__(self, port, path):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_SECONDS)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.socket.sendall(request.encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.socket.recv(4096)
            if not chunk:
                raise Failure("the browser closed the DevTools connection during the handshake")
            response += chunk
        head, self.buffer = response.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise Failure("the DevTools WebSocket handshake failed: " + head.decode(errors="replace"))

    def send(self, text):
        payload = text.encode()
        header = bytearray([0x81])
        if len(payload) < 126:
            header.append(0x80 | len(payload))
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
        mask = os.urandom(4)
        header += mask
        self.socket.sendall(bytes(header) + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.socket.recv(65536)
            if not chunk:
                raise Failure("the browser closed the DevTools connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def receive(self):
        message = b""
        while True:
            first, second = self._read(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else None
            payload = self._read(length)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:  # ping
                continue
            if opcode == 0x8:
                raise Failure("the browser closed the DevTools connection")
            message += payload
            if first & 0x80:
                return message.decode()


class Browser:
    """Headless Chromium and one page of it, with every error the page logs collected."""

    def __init__(self, folder):
        profile = os.path.join(folder, "chromium-profile")
        os.makedirs(profile)
        executable = shutil.which("chromium") or shutil.which("chromium-browser")
        if not executable:
            raise Failure("chromium is not installed (apt-get install -y chromium)")
        self.process = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--hide-scrollbars", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "--window-size=1300,1000", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + DEADLINE_SECONDS
        while not (os.path.exists(port_file) and len(open(port_file).read().split()) >= 2):
            if time.time() > deadline or self.process.poll() is not None:
                raise Failure("chromium did not start its DevTools server")
            time.sleep(0.1)
        port, path = open(port_file).read().split()[:2]
        self.socket = WebSocket(int(port), path)
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.call(domain + ".enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1300, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session=True)

    def call(self, method, params=None, session=False):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.receive())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise Failure(f"{method} failed: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def errors(self):
        """Everything the page logged as an error, or threw, so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append("exception: " + details.get("exception", {}).get("description", details.get("text", "")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append("console." + params["type"] + ": " + " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                found.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
        return found

    def open(self, url):
        self.events = []
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("document.readyState === 'complete'", "the page to load")

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session=True)
        if "exceptionDetails" in result:
            raise Failure(f"evaluating {expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what):
        deadline = time.time() + DEADLINE_SECONDS
        while time.time() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.2)
        raise Failure(f"waited {DEADLINE_SECONDS} s for {what} ({expression})")

    def count(self, selector):
        return self.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length")

    def screenshot(self, path):
        height = self.evaluate("Math.ceil(document.documentElement.scrollHeight)")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1300, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=True)
        data = self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1300, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session=True)
        print("  screenshot:", path)

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


# ---- The sweeps the pages show ------------------------------------------------------------

def run(sweep, *arguments, folder):
    result = subprocess.run([sweep, *arguments], cwd=folder, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise Failure(f"sweep {' '.join(arguments)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def leaderboard(sweep, folder, database, name):
    return json.loads(run(sweep, "leaderboard", name, "--db", database, "--format", "json", folder=folder))


def number_of(trial, metric):
    value = trial["metrics"].get(metric)
    return isinstance(value, (int, float)) and trial["status"] == "complete"


CLASSIFICATION_SPEC = {
    "name": "browser-grid", "seed": 4,
    "data": {"source": "builtin:phone-price?rows=400", "folds": 3},
    "fixed": {"hidden_layers": [8], "epochs": 6, "batch_size": 16},
    # lr 1e9 with SGD diverges: the report must show it as diverged, never as a number.
    "parameters": {"optimizer": {"values": ["sgd", "adam"]}, "lr": {"values": [0.01, 0.05, 1e9]},
                   "activation": {"values": ["relu", "tanh"]}},
}

REGRESSION_SPEC = {
    "name": "browser-regression", "data": "regression.csv", "method": "random", "trials": 14, "seed": 3,
    "fixed": {"hidden_layers": [16], "epochs": 12, "batch_size": 16},
    "parameters": {"lr": {"distribution": "log_uniform", "min": 0.0003, "max": 0.05},
                   "optimizer": {"values": ["sgd", "adam"]}},
    "sampler": {"lag": 2},
    "pruner": {"name": "median", "startup_trials": 3, "warmup_epochs": 2},
}


def write_regression_csv(path, rows=300):
    import random
    generator = random.Random(5)
    with open(path, "w") as file:
        file.write("x1,x2,x3,y\n")
        for _ in range(rows):
            a, b, c = (generator.uniform(-1, 1) for _ in range(3))
            file.write(f"{a:.4f},{b:.4f},{c:.4f},{2 * a - b + 0.5 * c * c + generator.uniform(-0.05, 0.05):.4f}\n")


# ---- The checks -------------------------------------------------------------------------

def check_classification_report(browser, sweep, folder, screenshots):
    print("-- the report of a classification grid with a diverged trial")
    with open(os.path.join(folder, "grid.json"), "w") as file:
        json.dump(CLASSIFICATION_SPEC, file)
    run(sweep, "run", "grid.json", "--db", "results.sqlite", "--quiet", folder=folder)
    run(sweep, "report", "browser-grid", "--db", "results.sqlite", "-o", "grid.html", folder=folder)
    board = leaderboard(sweep, folder, "results.sqlite", "browser-grid")
    metric = board["metric"]
    trials = board["trials"]
    valued = [t for t in trials if number_of(t, metric)]
    diverged = [t["trial"] for t in trials if t["status"] == "diverged"]
    check(len(trials) == 12 and len(diverged) >= 1, f"the grid ran 12 trials, {len(diverged)} of them diverged")

    browser.open("file://" + os.path.join(folder, "grid.html"))
    browser.wait_for("document.querySelectorAll('#trials tbody tr').length > 0", "the trials table")
    check(browser.errors() == [], f"the report logs no error {browser.errors()}")
    check(browser.count("#history .mark") == 12, "the history has one mark per trial")
    check(browser.count("#history .mark.point") == len(valued), f"{len(valued)} points: one per trial with a value")
    for number in diverged:
        check(browser.count(f'#history .point[data-trial="{number}"]') == 0 and
              browser.count(f'#history .status-mark[data-status="diverged"][data-trial="{number}"]') == 1,
              f"diverged trial {number} is marked as diverged, not drawn as a number")
    check(browser.count("#parallel path.line") == len(valued), "parallel coordinates: one line per trial with a value")
    check(browser.count("#parallel .axis") == 4, "parallel coordinates: an axis per setting and one for the metric")
    check(browser.count("#effects svg[data-plot=effect]") == 3, "a main-effects plot per setting")
    check(browser.count("#effects .level-mean") == 7, "main effects: a mean per value (2 + 3 + 2)")
    check(browser.count("#slices svg[data-plot=slice]") == 3, "a slice per setting")
    for setting in ("optimizer", "lr", "activation"):
        check(browser.count(f'#slices svg[data-setting="{setting}"] .mark') == len(valued), f"the {setting} slice: a point per trial with a value")
    complete = sum(1 for t in trials if t["status"] == "complete")
    check(browser.count("#curves .curve-card") == min(5, complete) + len(diverged[:3]), "learning curves of the 5 best and the diverged trials")
    check(browser.count("#curves .curve-card[data-status=complete] svg[data-plot=curve-loss] path.curve") >= 5 * 4,
          "each of the best trials' loss plots has a train line per fit")
    check(browser.count("#best-model table.confusion tr") == 4 + 2, "the confusion matrix: 4 classes, a header and the precision row")
    best = board["trials"][0]["trial"]
    check(browser.evaluate("document.querySelector('#trials tbody tr').dataset.trial") == str(best), "the table starts with the best trial")
    check(browser.count("#trials tbody tr") == 12, "the table lists every trial")
    browser.evaluate(f"document.querySelector('#trials th[data-key=number]').click()")
    check(browser.evaluate("document.querySelector('#trials tbody tr').dataset.trial") == "1", "sorting by trial number puts trial 1 first")
    browser.evaluate(f"document.querySelector('#trials th[data-key=number]').click()")
    check(browser.evaluate("document.querySelector('#trials tbody tr').dataset.trial") == "12", "sorting again reverses it")
    check("browser-grid" in browser.evaluate("document.querySelector('#spec pre').textContent"), "the spec is shown")
    check(browser.errors() == [], "still no error after sorting")
    if screenshots:
        browser.screenshot(os.path.join(screenshots, "report-classification.png"))


def check_regression_report(browser, sweep, folder, screenshots):
    print("-- the report of a pruned random search on a regression CSV")
    write_regression_csv(os.path.join(folder, "regression.csv"))
    with open(os.path.join(folder, "regression.json"), "w") as file:
        json.dump(REGRESSION_SPEC, file)
    run(sweep, "run", "regression.json", "--db", "results.sqlite", "--quiet", folder=folder)
    run(sweep, "report", "browser-regression", "--db", "results.sqlite", "-o", "regression.html", folder=folder)
    board = leaderboard(sweep, folder, "results.sqlite", "browser-regression")
    metric = board["metric"]
    check(metric == "validation_rmse", "a regression sweep is ranked by validation RMSE")
    trials = board["trials"]
    valued = [t for t in trials if number_of(t, metric)]
    pruned = [t for t in trials if t["status"] == "pruned"]

    browser.open("file://" + os.path.join(folder, "regression.html"))
    browser.wait_for("document.querySelectorAll('#trials tbody tr').length > 0", "the trials table")
    check(browser.errors() == [], f"the report logs no error {browser.errors()}")
    check(browser.count("#history .mark") == len(trials), "the history has one mark per trial")
    check(browser.count("#history .mark.point") == len(valued), "a point per trial with a value")
    check(browser.count('#history .status-mark[data-status="pruned"]') == len(pruned), f"{len(pruned)} pruned trials marked as pruned")
    check(browser.count("#effects svg[data-plot=importance] .bar") == 2, "an importance estimate per setting")
    check("estimate" in browser.evaluate("document.querySelector('#effects').textContent"), "labelled as an estimate")
    check(browser.count('#slices svg[data-setting="lr"] .mark') == len(valued), "the lr slice: a point per trial with a value")
    shown_pruned = browser.count("#curves .curve-card[data-status=pruned]")
    check(shown_pruned == min(3, len(pruned)), "learning curves of the pruned trials that got furthest")
    check(browser.count("#curves .stop-mark[data-status=pruned]") == 2 * shown_pruned, "each marked where it stopped (loss and metric)")
    # 20% of 300 rows are held out for the test.
    check(browser.count("#best-model svg[data-plot=predicted-actual] .mark") == 60, "predicted against actual: a point per test row")
    text = browser.evaluate("document.querySelector('#best-model').textContent")
    check("test RMSE" in text and "test MAE" in text, "the best model's test RMSE and MAE")
    if screenshots:
        browser.screenshot(os.path.join(screenshots, "report-regression.png"))


def open_report_of(browser, sweep, folder, spec, selector, what):
    """Runs `spec` into results.sqlite, writes its report and opens it once `selector` has drawn."""
    name = spec["name"]
    with open(os.path.join(folder, name + ".json"), "w") as file:
        json.dump(spec, file)
    run(sweep, "run", name + ".json", "--db", "results.sqlite", "--quiet", folder=folder)
    run(sweep, "report", name, "--db", "results.sqlite", "-o", name + ".html", folder=folder)
    browser.open("file://" + os.path.join(folder, name + ".html"))
    browser.wait_for(f"document.querySelectorAll('{selector}').length > 0", what)


# sweep auto's search space: twelve axes, some of them with long titles.
WIDE_SPEC = {
    "name": "browser-wide", "data": "builtin:phone-price?rows=200", "method": "random", "trials": 6, "seed": 2,
    "fixed": {"epochs": 2},
    "parameters": {
        "activation": {"values": ["relu", "tanh", "leaky_relu"]}, "batch_norm": {"values": [False, True]},
        "batch_size": {"values": [32, 64]}, "dropout": {"distribution": "q_uniform", "min": 0, "max": 0.5, "q": 0.05},
        "hidden_layers": {"depth": {"values": [1, 2]}, "width": {"distribution": "int_log_uniform", "min": 4, "max": 16}},
        "loss": {"values": ["cross_entropy", "ordinal"]}, "lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1},
        "momentum": {"values": [0.8, 0.9], "when": {"optimizer": ["sgd"]}}, "optimizer": {"values": ["adam", "sgd"]},
        "weight_decay": {"distribution": "log_uniform", "min": 1e-6, "max": 0.03}},
}


def check_wide_parallel_coordinates(browser, sweep, folder):
    print("-- parallel coordinates over sweep auto's twelve axes: no two titles overlap")
    open_report_of(browser, sweep, folder, WIDE_SPEC, "#parallel .axis", "the parallel coordinates")
    check(browser.errors() == [], f"the report logs no error {browser.errors()}")
    check(browser.count("#parallel .axis") == 12, "an axis per setting (hidden_layers: depth and width) and one for the metric")
    overlaps = browser.evaluate("""(() => {
      const boxes = [...document.querySelectorAll('#parallel .axis-title')].map((t) => t.getBoundingClientRect());
      const found = [];
      boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b, k) => {
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) found.push([i, i + 1 + k]);
      }));
      return JSON.stringify(found);
    })()""")
    check(overlaps == "[]", f"no two axis titles overlap (overlapping pairs: {overlaps})")


def check_one_trial_report(browser, sweep, folder):
    print("-- the report of a sweep of one trial")
    spec = {"name": "browser-one", "data": "builtin:phone-price?rows=200", "method": "random", "trials": 1,
            "fixed": {"hidden_layers": [8], "epochs": 3}, "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.01}}}
    open_report_of(browser, sweep, folder, spec, "#trials tbody tr", "the trials table")
    check(browser.errors() == [], f"the report logs no error {browser.errors()}")
    check(browser.count("#history .mark.point") == 1 and browser.count("#parallel path.line") == 1, "one point and one line")
    check(browser.count("#slices svg[data-setting=lr] .mark") == 1, "one point in the slice")
    check("No effects yet" in browser.evaluate("document.querySelector('#effects').textContent"), "no importance estimate from one trial, and it says why")
    check(browser.count("#best-model table.confusion") == 1, "the best model's confusion matrix")


def check_dashboard(browser, sweep, folder, screenshots):
    print("-- the dashboard: from no database to a sweep whose trials appear as they finish")
    database = "live.sqlite"
    dashboard = subprocess.Popen([sweep, "dashboard", "--db", database, "--port", "0"], cwd=folder,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = dashboard.stdout.readline()
        if "http://127.0.0.1:" not in line:
            raise Failure(f"the dashboard printed no address: {line!r} {dashboard.stderr.read() if dashboard.poll() is not None else ''}")
        url = line[line.index("http://"):].split()[0]
        browser.open(url)
        browser.wait_for("!document.getElementById('notice').hidden", "the missing-database notice")
        notice = browser.evaluate("document.getElementById('notice').textContent")
        check("No results database" in notice, "a missing database gets a page that says so")
        if screenshots:
            browser.screenshot(os.path.join(screenshots, "dashboard-missing.png"))
        browser.evaluate("window.loadedOnce = true")

        spec = dict(CLASSIFICATION_SPEC, name="browser-live")
        with open(os.path.join(folder, "live.json"), "w") as file:
            json.dump(spec, file)
        run(sweep, "run", "live.json", "--db", database, "--trials", "2", "--quiet", folder=folder)
        browser.wait_for("document.querySelectorAll('#history .mark').length === 2", "the first two trials")
        check(browser.evaluate("document.getElementById('notice').hidden"), "the notice is gone once the sweep exists")
        run(sweep, "run", "live.json", "--db", database, "--trials", "1", "--quiet", folder=folder)
        browser.wait_for("document.querySelectorAll('#history .mark').length === 3", "the trial finished after the page loaded")
        check(browser.evaluate("window.loadedOnce === true"), "it appeared without a reload")
        check(browser.count("#trials tbody tr") == 3, "the table has the new trial")
        run(sweep, "run", "live.json", "--db", database, "--quiet", folder=folder)
        browser.wait_for("document.querySelectorAll('#history .mark').length === 12", "the rest of the sweep")
        browser.wait_for("document.querySelectorAll('#best-model table.confusion').length === 1", "the best model's confusion matrix")
        check(browser.errors() == [], f"the dashboard logs no error {browser.errors()}")
        if screenshots:
            browser.screenshot(os.path.join(screenshots, "dashboard.png"))
    finally:
        dashboard.send_signal(signal.SIGINT)
        try:
            status = dashboard.wait(30)
        except subprocess.TimeoutExpired:
            dashboard.kill()
            raise Failure("the dashboard did not stop on Ctrl-C")
    check(status == 0, "Ctrl-C stops the dashboard cleanly")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sweep", nargs="?", default=".build/release/sweep")
    parser.add_argument("--screenshots", help="save a full-page screenshot of each page here")
    arguments = parser.parse_args()
    sweep = os.path.abspath(arguments.sweep)
    screenshots = os.path.abspath(arguments.screenshots) if arguments.screenshots else None
    if screenshots:
        os.makedirs(screenshots, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="sweep-browser-")
    browser = None
    try:
        browser = Browser(folder)
        check_classification_report(browser, sweep, folder, screenshots)
        check_regression_report(browser, sweep, folder, screenshots)
        check_one_trial_report(browser, sweep, folder)
        check_wide_parallel_coordinates(browser, sweep, folder)
        check_dashboard(browser, sweep, folder, screenshots)
    except Failure as failure:
        print("BROWSER TEST FAILED:", failure, file=sys.stderr)
        return 1
    finally:
        if browser:
            browser.close()
        shutil.rmtree(folder, ignore_errors=True)
    print("BROWSER TESTS OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
