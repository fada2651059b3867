#!/usr/bin/env python3
"""A caller for the line's tests: a real SIP phone (Debian's baresip) driven
over its ctrl_tcp interface (JSON in netstrings), stdlib only.

    caller.py URI --dir D [--port P] --script "wait:2 dtmf:1234567 wait:1 ... hangup"

Script steps, run after the call is established:
    wait:S          sleep S seconds (fractions allowed)
    dtmf:KEYS       send KEYS as RFC 4733 events (baresip's sndcode)
    inband:WAV      make WAV (8 kHz mono S16) the microphone: in-band tones
    hangup          hang up
    closed:S        wait up to S seconds for the far end to hang up (exit 3 if not)
Without `hangup` or `closed`, the caller hangs up after the last step.

baresip runs in D (its config, and rec/ with dump-*-dec.wav: what it heard)
on 127.0.0.1, SIP on P (and TLS on P+1), ctrl_tcp on P+5, RTP on P+20..P+39. Every wait is
bounded, baresip is stopped by its PID, and a JSON summary is printed:
{"established": bool, "closed_by": "far"|"us"|null, "events": [...]}.
Exit 0 when the call was established (and, for closed:S, closed by the far
end in time); 2 when it never was; 3 when closed:S timed out.
"""
import argparse, json, os, signal, socket, subprocess, sys, time, wave

def silence_wav(path, seconds):
    with wave.open(path, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))

def netstring(obj):
    data = json.dumps(obj).encode()
    return str(len(data)).encode() + b":" + data + b","

class Ctrl:
    def __init__(self, port, deadline):
        self.buf = b""
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("caller: baresip's ctrl_tcp never came up")
                time.sleep(0.1)
        self.sock.settimeout(0.2)
        self.events = []

    def send(self, command, params=""):
        self.sock.sendall(netstring({"command": command, "params": params, "token": command}))

    def poll(self, seconds):
        """Reads messages for up to `seconds`; returns the events seen."""
        end = time.time() + seconds
        seen = []
        while time.time() < end:
            try:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
            except socket.timeout:
                pass
            except OSError:
                break
            while b":" in self.buf:
                n, rest = self.buf.split(b":", 1)
                if not n.isdigit() or len(rest) < int(n) + 1:
                    break
                msg, self.buf = rest[: int(n)], rest[int(n) + 1 :]
                try:
                    m = json.loads(msg)
                except ValueError:
                    continue
                if m.get("event"):
                    e = {"type": m.get("type"), "param": m.get("param", "")}
                    self.events.append(e)
                    seen.append(e)
        return seen

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("uri")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=5070)
    ap.add_argument("--script", default="")
    ap.add_argument("--codecs", default="PCMU,PCMA")
    ap.add_argument("--timeout", type=float, default=300, help="the whole run, seconds")
    a = ap.parse_args()
    deadline = time.time() + a.timeout
    os.makedirs(os.path.join(a.dir, "rec"), exist_ok=True)
    mic = os.path.join(a.dir, "silence.wav")
    silence_wav(mic, 600)
    p = a.port
    with open(os.path.join(a.dir, "config"), "w") as f:
        f.write(f"""poll_method epoll
sip_listen 127.0.0.1:{p}
net_interface 127.0.0.1
audio_player alsa,null
audio_alert alsa,null
audio_source aufile,{mic}
ausrc_srate 8000
auplay_srate 8000
ausrc_channels 1
auplay_channels 1
rtp_ports {p + 20}-{p + 39}
rtp_timeout 0
jitter_buffer_delay 5-10
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module alsa.so
module sndfile.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{p + 5}
snd_path {os.path.join(a.dir, "rec")}
""")
    with open(os.path.join(a.dir, "accounts"), "w") as f:
        f.write(f"<sip:tester@127.0.0.1:{p}>;regint=0;audio_codecs={a.codecs}\n")
    open(os.path.join(a.dir, "contacts"), "w").close()
    log = open(os.path.join(a.dir, "baresip.log"), "w")
    proc = subprocess.Popen(["baresip", "-f", a.dir], stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    summary = {"established": False, "closed_by": None, "events": []}
    code = 0
    try:
        ctrl = Ctrl(p + 5, min(deadline, time.time() + 15))
        ctrl.poll(0.5)
        ctrl.send("dial", a.uri)
        end = min(deadline, time.time() + 15)
        while time.time() < end and not summary["established"]:
            for e in ctrl.poll(0.2):
                if e["type"] == "CALL_ESTABLISHED":
                    summary["established"] = True
                if e["type"] == "CALL_CLOSED":
                    end = 0
        if not summary["established"]:
            code = 2
        else:
            closed = False
            steps = a.script.split()
            for step in steps:
                kind, _, arg = step.partition(":")
                if kind == "wait":
                    for e in ctrl.poll(min(float(arg), max(0, deadline - time.time()))):
                        closed |= e["type"] == "CALL_CLOSED"
                elif kind == "dtmf":
                    ctrl.send("sndcode", arg)
                    closed |= any(e["type"] == "CALL_CLOSED" for e in ctrl.poll(0.2 * len(arg) + 0.3))
                elif kind == "inband":
                    ctrl.send("ausrc", "aufile," + arg)
                    closed |= any(e["type"] == "CALL_CLOSED" for e in ctrl.poll(0.2))
                elif kind == "hangup":
                    if not closed:
                        ctrl.send("hangup")
                        summary["closed_by"] = "us"
                        ctrl.poll(1.0)
                    closed = True
                elif kind == "closed":
                    end = min(deadline, time.time() + float(arg))
                    while not closed and time.time() < end:
                        closed |= any(e["type"] == "CALL_CLOSED" for e in ctrl.poll(0.2))
                    if not closed:
                        code = 3
                if closed and summary["closed_by"] is None:
                    summary["closed_by"] = "far"
                if closed:
                    break
            if not closed:
                ctrl.send("hangup")
                summary["closed_by"] = "us"
                ctrl.poll(1.0)
        summary["events"] = [e for e in ctrl.events if e["type"] not in ("CALL_RTCP",)]
        try:
            ctrl.send("quit")
        except OSError:
            pass
    finally:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
    print(json.dumps(summary))
    sys.exit(code)

if __name__ == "__main__":
    main()
