#!/usr/bin/env python3
"""dtmf_pcap.py KEYS OUT.pcap: RFC 4733 events for KEYS (groups separated by
'-' get a 1 s pause between them) as a pcap of RTP packets for SIPp's
play_pcap_audio: payload type 101, one timestamp per event, marker on its
first packet, 9 packets of growing duration then 3 end packets, one every
20 ms, 60 ms between keys; one SSRC and one rising sequence for the whole
stream (SIPp sends the packets as they are, so its canned per-digit pcaps,
which reuse sequence numbers, would be dropped as late by any receiver)."""
import struct, sys

def main():
    keys, out = sys.argv[1], sys.argv[2]
    codes = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
    packets = []  # (time in ms, rtp bytes)
    t = 500
    seq = 1000
    for ch in keys:
        if ch == "-":
            t += 1000
            continue
        ts = t * 8
        for n in range(12):
            end = n >= 9
            duration = 160 * min(n + 1, 9)
            rtp = struct.pack("!BBHII", 0x80, (0x80 if n == 0 else 0) | 101, seq & 0xFFFF, ts & 0xFFFFFFFF, 0x5EED)
            rtp += struct.pack("!BBH", codes[ch], (0x80 if end else 0) | 10, duration)
            packets.append((t + 20 * min(n, 9) + (20 * (n - 9) if end else 0), rtp))
            seq += 1
        t += 20 * 12 + 60
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ms, rtp in packets:
            udp_len = 8 + len(rtp)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
            udp = struct.pack("!HHHH", 40000, 6000, udp_len, 0)
            frame = b"\0" * 12 + b"\x08\x00" + ip + udp + rtp
            f.write(struct.pack("<IIII", ms // 1000, (ms % 1000) * 1000, len(frame), len(frame)))
            f.write(frame)
    print(f"{out}: {len(packets)} packets, {packets[-1][0] / 1000:.1f} s")

main()
