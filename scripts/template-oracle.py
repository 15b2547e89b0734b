#!/usr/bin/env python3
"""Regenerates tests/data/template/cases.json, the expected outputs of tocsin's template engine.

Every case with `source: promtool-2.42` is rendered by Debian's promtool 2.42 (Go 1.19 text/template):
render cases become alerting rules whose annotation `s` is the case template, inside one `promtool test rules`
file whose `exp_alerts` are deliberately empty, so promtool prints what it got; the `Annotations:{s="..."}` it
prints (Go-quoted) is the truth. Parse-error cases go through `promtool check rules`, which reports every bad
template. Cases with `source: spec` (vmalert-only functions that vmalert 1.79.5 cannot render offline) carry
expectations written from the documented Go semantics and are not touched by promtool.

Cases with `source: vmalert-1.79.5` are rendered by Debian's vmalert 1.79.5: the script serves a fake
Prometheus query API and a fake Alertmanager on one loopback port, runs vmalert against them with one alerting
rule per case (annotation `s` is the case template), and records the annotations vmalert POSTs.

Usage: scripts/template-oracle.py [--promtool /usr/bin/promtool] [--vmalert /usr/bin/vmalert]
Needs: python3 with PyYAML, promtool 2.42, vmalert 1.79.5. Writes tests/data/template/cases.json.
"""

import argparse
import http.server
import json
import socket
import threading
import time
import urllib.parse
import math
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "template", "cases.json")

EVAL_TIME = "5m"
EXTERNAL_LABELS = {"region": "eu-west", "replica": "a"}
EXTERNAL_URL = "http://prom.example.com:9090/prom"
VM_EXTERNAL_URL = "http://vmalert.example.com:8880/vm"
DEFAULT_LABELS = {"instance": "web-1.example.com:9100", "job": "node", "severity": "critical"}
DEFAULT_VALUE = 1234.5678

# Series the `query` cases see; the Rust test's fake querier serves the same samples.
WORLD = [
    ({"__name__": "up", "job": "api", "instance": "a.example.com:8080"}, 1.0),
    ({"__name__": "up", "job": "api", "instance": "b.example.com:8080"}, 0.0),
    ({"__name__": "up", "job": "db", "instance": "10.0.0.5:5432"}, 1.0),
    ({"__name__": "node_load1", "instance": "a.example.com:9100"}, 0.25),
    ({"__name__": "node_load1", "instance": "b.example.com:9100"}, 3.5),
    ({"__name__": "disk_bytes", "device": "sda", "zone": "z2"}, 1073741824.0),
    ({"__name__": "disk_bytes", "device": "sdb", "zone": "z1"}, 5e11),
]

RENDER = []  # (template, labels, value)
SPEC = []  # (template, labels, value, expected)
PARSE = []  # template


def r(tpl, labels=None, value=None):
    RENDER.append((tpl, labels, value))


def spec(tpl, expected, labels=None, value=None):
    SPEC.append((tpl, labels, value, expected))


def p(tpl):
    PARSE.append(tpl)


# ---------------------------------------------------------------------------------------------------------------
# The case table.
# ---------------------------------------------------------------------------------------------------------------

# Text, trimming, comments.
for t in [
    "plain text", "", "a {{- \"b\" -}} c", "a  {{- \"b\" }}  c", "a {{ \"b\" -}}  c", "x\n  {{- 1 -}}\n  y",
    "{{/* a comment */}}z", "a {{- /* trimmed */ -}} b", "{{- 3 }}", "{{ 3 -}}", "{{-3}}", "{{ -3 }}",
    "tab\t{{- \"t\" -}}\tend", "line1\nline2", "{{ \"{{\" }}", "}} stray", "{{`{{ raw }}`}}", "multi{{\n1\n}}line",
]:
    r(t)

# Variables and scoping.
for t in [
    "{{ $x := 1 }}{{ $x }}", "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", "{{ $ }}", "{{ $.Value }}", "{{ $.Labels.job }}",
    "{{ $x := \"a\" }}{{ if true }}{{ $x := \"b\" }}{{ $x }}{{ end }}{{ $x }}",
    "{{ $x := \"a\" }}{{ if true }}{{ $x = \"b\" }}{{ end }}{{ $x }}",
    "{{ $x := 1 }}{{ range $labels }}{{ $x = 2 }}{{ end }}{{ $x }}",
    "{{ with $x := 5 }}{{ $x }}{{ end }}", "{{ $value }}", "{{ $labels }}", "{{ $externalLabels }}",
    "{{ $externalLabels.region }}", "{{ $externalURL }}", "{{ . }}", "{{ .Labels }}", "{{ .Value }}",
    "{{ .ExternalLabels.replica }}", "{{ .ExternalURL }}", "{{ $x := $labels }}{{ $x.job }}",
]:
    r(t)

# Fields, map keys, index.
for t in [
    "{{ $labels.job }}", "{{ $labels.missing }}", "[{{ .Labels.missing }}]", "{{ index $labels \"instance\" }}",
    "{{ index $labels \"nope\" }}", "{{ index .Labels \"job\" }}", "{{ $labels.job.foo }}", "{{ .Value.x }}",
    "{{ .Nope }}", "{{ index \"abc\" 1 }}", "{{ index \"abc\" 3 }}", "{{ index \"abc\" -1 }}", "{{ index 1 1 }}",
    "{{ index $labels 1 }}", "{{ index $labels }}", "{{ index (args 1 2) \"arg1\" }}", "{{ (args 1 2).arg0 }}",
    "{{ (args 1).arg9 }}", "{{ index (args \"a\" \"b\") \"arg0\" }}", "{{ $labels.instance | len }}",
]:
    r(t)

# Control flow.
for t in [
    "{{ if true }}yes{{ end }}", "{{ if false }}yes{{ else }}no{{ end }}", "{{ if 0 }}a{{ else if 1 }}b{{ end }}",
    "{{ if \"\" }}a{{ else if \"\" }}b{{ else }}c{{ end }}", "{{ if $labels }}labels{{ end }}",
    "{{ if .Labels.missing }}x{{ else }}empty{{ end }}", "{{ if $value }}nonzero{{ end }}",
    "{{ if 0.0 }}a{{ else }}zero{{ end }}", "{{ if nil }}a{{ else }}nil{{ end }}",
    "{{ if and 1 0 }}a{{ else }}b{{ end }}", "{{ if or 0 \"\" }}a{{ else }}b{{ end }}",
    "{{ with $labels.job }}job={{ . }}{{ end }}", "{{ with $labels.missing }}x{{ else }}none{{ end }}",
    "{{ with 0 }}x{{ else }}zero{{ end }}", "{{ range $labels }}{{ . }},{{ end }}",
    "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}", "{{ range $v := $labels }}{{ $v }};{{ end }}",
    "{{ range $externalLabels }}{{ . }}{{ else }}none{{ end }}", "{{ range .Labels }}{{ else }}empty{{ end }}",
    "{{ range $k, $v := $labels }}{{ if eq $k \"job\" }}{{ break }}{{ end }}{{ $k }};{{ end }}",
    "{{ range $k, $v := $labels }}{{ if eq $k \"job\" }}{{ continue }}{{ end }}{{ $k }};{{ end }}",
    "{{ range $i, $a := args \"x\" \"y\" }}{{ $i }}:{{ $a }} {{ end }}", "{{ range 3 }}{{ . }}{{ end }}",
    "{{ range \"abc\" }}{{ . }}{{ end }}", "{{ range $value }}{{ . }}{{ end }}", "{{ range nil }}x{{ end }}",
    "{{ range $k, $v := $labels }}{{ $k }}{{ end }}{{ $k }}",
    "{{ range $labels }}{{ $.Value }}{{ end }}", "{{ with $labels }}{{ .job }}{{ end }}",
    "{{ if true }}{{ if false }}a{{ else }}b{{ end }}{{ end }}",
]:
    r(t)

# define / template / block.
for t in [
    "{{ define \"x\" }}X{{ end }}{{ template \"x\" }}", "{{ define \"x\" }}[{{ . }}]{{ end }}{{ template \"x\" 5 }}",
    "{{ define \"x\" }}{{ .job }}{{ end }}{{ template \"x\" $labels }}", "{{ template \"nope\" }}",
    "{{ block \"b\" . }}block {{ .Value }}{{ end }}", "{{ define \"x\" }}{{ $ }}{{ end }}{{ template \"x\" \"d\" }}",
    "{{ define \"x\" }}{{ template \"y\" . }}{{ end }}{{ define \"y\" }}Y{{ . }}{{ end }}{{ template \"x\" 1 }}",
    "{{ define \"x\" }}{{ . }}{{ end }}{{ template \"x\" }}", "{{ define \"x\" }}{{ .Nope }}{{ end }}{{ template \"x\" . }}",
    "{{ define \"loop\" }}{{ template \"loop\" }}{{ end }}{{ template \"x\" }}",
]:
    r(t)

# Literals.
for t in [
    "{{ 1 }}", "{{ -1 }}", "{{ +1 }}", "{{ 1.5 }}", "{{ 1.0 }}", "{{ 1e3 }}", "{{ 1E-3 }}", "{{ 0x1F }}",
    "{{ 0X1f }}", "{{ 0o17 }}", "{{ 017 }}", "{{ 0b101 }}", "{{ 1_000_000 }}", "{{ 'a' }}", "{{ '\\n' }}",
    "{{ '\\u00e9' }}", "{{ \"a\\tb\" }}", "{{ \"\\u00e9\\x41\" }}", "{{ `a\\tb` }}", "{{ true }}", "{{ false }}",
    "{{ .5 }}", "{{ 0x1p4 }}", "{{ 9223372036854775807 }}", "{{ 18446744073709551615 }}", "{{ 1e308 }}",
    "{{ 0.000001 }}", "{{ 123456789.0 }}", "{{ nil }}", "{{ 1i }}",
]:
    r(t)

# Builtins.
for t in [
    "{{ and 1 2 }}", "{{ and 1 0 2 }}", "{{ and \"\" 1 }}", "{{ or 0 \"\" }}", "{{ or 0 \"x\" 2 }}", "{{ not 0 }}",
    "{{ not \"a\" }}", "{{ not $labels }}", "{{ 1 | and 2 }}", "{{ 0 | or 5 }}", "{{ and }}",
    "{{ len \"héllo\" }}", "{{ len $labels }}", "{{ len 3 }}", "{{ len $externalLabels }}",
    "{{ slice \"abcdef\" 1 3 }}", "{{ slice \"abcdef\" 2 }}", "{{ slice \"abcdef\" }}", "{{ slice \"abc\" 2 1 }}",
    "{{ slice \"abc\" 0 5 }}", "{{ slice \"abc\" 1 2 3 }}", "{{ slice 3 1 }}",
    "{{ print 1 2 }}", "{{ print \"a\" \"b\" }}", "{{ print 1 \"a\" 2 }}", "{{ print \"a\" 1 2 \"b\" }}",
    "{{ print }}", "{{ print nil }}", "{{ print $labels }}", "{{ print 1.5 true }}", "{{ println 1 \"a\" }}",
    "{{ println }}", "{{ print .Labels.missing }}", "{{ print (args 1).arg3 }}",
    "{{ html \"<a href='x'>&\\\"</a>\" }}", "{{ html 1 2 }}", "{{ html }}", "{{ \"<b>\" | html }}",
    "{{ js \"it's <\\\"x\\\"> & = \\\\ \\n\" }}", "{{ js 5 }}", "{{ urlquery \"a b&c=d/é\" }}", "{{ urlquery 1 \"x\" }}",
    "{{ eq 1 1 }}", "{{ eq 1 2 }}", "{{ eq 1 2 3 1 }}", "{{ eq \"a\" \"a\" }}", "{{ eq 1.5 1.5 }}",
    "{{ eq $value 1 }}", "{{ eq $value 1234.5678 }}", "{{ eq true true }}", "{{ eq $labels.job \"node\" }}",
    "{{ eq 1 }}", "{{ eq 1 \"1\" }}", "{{ eq $labels $labels }}", "{{ eq nil nil }}", "{{ eq .Labels.nope \"\" }}",
    "{{ ne 1 2 }}", "{{ ne \"a\" \"a\" }}", "{{ ne 1 \"a\" }}", "{{ lt 1 2 }}", "{{ lt 2 1 }}", "{{ lt \"a\" \"b\" }}",
    "{{ lt 1.5 2.5 }}", "{{ lt true false }}", "{{ lt 1 2.0 }}", "{{ le 2 2 }}", "{{ le 3 2 }}", "{{ gt 3 2 }}",
    "{{ gt \"b\" \"a\" }}", "{{ ge 2 2 }}", "{{ ge 1 2 }}", "{{ gt $value 1000.0 }}", "{{ gt $value 1000 }}",
    "{{ lt $labels 1 }}", "{{ call 1 }}", "{{ call $labels }}",
]:
    r(t)

# Go fmt through printf: verbs, flags, width, precision, error forms.
FMT_VALUES = ["0", "1", "-1", "42", "255", "3.14159", "-2.5", "1e21", "1e-7", "100000.0", "1234567.0", "\"str\"",
              "true", "$value", "'x'"]
for v in FMT_VALUES:
    for verb in ["%v", "%d", "%s", "%q", "%x"]:
        r("{{ printf \"%s\" %s }}" % (verb, v))
for v in ["3.14159", "-2.5", "1e21", "1e-7", "100000.0", "1234567.0", "0.0", "2.5", "0.125", "$value"]:
    for verb in ["%f", "%.2f", "%e", "%E", "%g", "%G", "%.3g", "%8.3f", "%-8.2f|", "%+.1e", "%010.3f", "%.0f"]:
        r("{{ printf \"%s\" %s }}" % (verb, v))
for t in [
    "{{ printf \"%5d|%-5d|%05d|%+d|% d\" 42 42 42 42 42 }}", "{{ printf \"%o %O %#o %b %#x %#X\" 8 8 8 5 255 255 }}",
    "{{ printf \"%c %c %U %#U\" 65 233 65 9731 }}", "{{ printf \"%q %+q %#q\" \"é\\n\" \"é\" \"back`q\" }}",
    "{{ printf \"%10s|%-10s|%.2s|%5.1s|\" \"right\" \"left\" \"trunc\" \"xyz\" }}", "{{ printf \"%x % x %X\" \"hi\" \"hi\" \"hi\" }}",
    "{{ printf \"%t %v\" true false }}", "{{ printf \"%t\" 1 }}", "{{ printf \"%d\" \"x\" }}", "{{ printf \"%d %d\" 1 }}",
    "{{ printf \"%d\" 1 2 \"a\" }}", "{{ printf \"%!\" }}", "{{ printf \"100%%\" }}", "{{ printf \"%\" }}",
    "{{ printf \"%z\" 1 }}", "{{ printf \"%s\" nil }}", "{{ printf \"%d\" nil }}", "{{ printf \"%v\" $labels }}",
    "{{ printf \"%s\" $labels }}", "{{ printf \"%d\" $labels }}", "{{ printf \"%v\" . }}", "{{ printf \"%+v\" . }}",
    "{{ printf \"%T %T %T %T\" 1 1.5 \"s\" $labels }}", "{{ printf \"%T\" . }}", "{{ printf \"%*d\" 5 42 }}",
    "{{ printf \"%-*d|\" 5 42 }}", "{{ printf \"%.*f\" 2 3.14159 }}", "{{ printf \"%[2]d %[1]d\" 1 2 }}",
    "{{ printf \"%[3]d\" 1 2 }}", "{{ printf \"%6.2f%%\" 99.5 }}", "{{ printf \"%v %v\" 1e6 1e-5 }}",
    "{{ printf \"%5.1f|%-7.2e|\" 2.25 12345.678 }}", "{{ printf \"%g %g %g\" 1e20 1e21 123456789.0 }}",
    "{{ printf \"%.1f %.1f %.1f %.1f\" 0.05 0.15 0.25 0.35 }}", "{{ printf \"%.0f %.0f %.0f\" 0.5 1.5 2.5 }}",
    "{{ printf \"%s\" (safeHtml \"<b>\") }}", "{{ printf \"%d\" (safeHtml \"x\") }}", "{{ printf }}",
    "{{ printf 1 }}", "{{ printf \"%v|%6v|%-6v|\" nil 1 true }}", "{{ printf \"%08.3f|%+08d|%-08d|\" -3.5 7 7 }}",
    "{{ printf \"%x %X %o %b\" -255 -255 -8 -5 }}", "{{ printf \"%e %g\" 0.0 0.0 }}", "{{ printf \"%.3e\" 1e-300 }}",
    "{{ printf \"%5t|%-6t|\" true false }}", "{{ printf \"%08198552921648689607x\" \"str\" }}",
    "{{ printf \"%*d|%.*d\" 10000000 1 }}", "{{ printf \"%.\" 1 }}", "{{ printf \"%-*d|\" -4 1 }}",
    "{{ printf \"%.*f|%.*f\" -1 2.5 \"x\" 2.5 }}", "{{ printf \"%*d\" }}", "{{ printf \"%.99999999f\" 1.5 }}", "{{ printf \"%q\" 65 }}", "{{ printf \"%3c|%-3c|\" 65 66 }}",
]:
    r(t)

# $value as Go prints a float64 (%v), over edge values: shortest digits, exponent switch, rounding.
FLOATS = [
    0.0, -0.0, 1.0, -1.0, 0.1, 0.2, 0.3, 1.5, 100000.0, 999999.0, 1e6, 1234567.0, 12345678.9, 1e20, 1e21, 1e22,
    123456789012345680000.0, 1e-4, 1e-5, 0.00012345, 0.000012345, 1.7976931348623157e308, 5e-324,
    2.2250738585072014e-308, 2.225073858507201e-308, 4.9406564584124654e-320, 1e-310, 0.1 + 0.2, 1 / 3, 2 / 3,
    100.0, 123.456, 9007199254740992.0, 9007199254740993.0, 1e15, 1e16, 1e17, 123456.7, 1e100, -1e-100,
    3.141592653589793, 2.718281828459045, 6.02214076e23, 1.602176634e-19, 42.0, 0.5, 0.25, 0.125, 1e-7, 999.9999,
    float("nan"), float("inf"), float("-inf"), 1.0000000000000002, 0.9999999999999999, 4.35, 1e-3, 65536.0,
    4294967296.0, 1099511627776.0, 0.001234, 12.345, 99.99, 150.0, 86400.0, 3600.5, -0.000001, 1.1e-5,
]
for f in FLOATS:
    r("{{ $value }}", value=f)
    r("{{ printf \"%.4g|%.2f|%e\" $value $value $value }}", value=f)

# Float property data: seeded random and edge values, each printed in several Go float formats. The Rust
# property test feeds the same values to tocsin::template::fmt directly.
FLOAT_FORMATS = "{{ $value }}|{{ printf \"%.3g|%e|%.2f|%g|%.10g|%.17g|%G|%.0e|%8.3f\" $value $value $value $value $value $value $value $value $value }}"


def float_property_values():
    import random
    import struct
    rng = random.Random(20261125)
    vals = []
    while len(vals) < 150:
        f = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if not (math.isnan(f) or math.isinf(f)):
            vals.append(f)
    for _ in range(100):
        vals.append(rng.choice([1, -1]) * 10 ** rng.uniform(-8, 25))
    for _ in range(30):
        vals.append(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(52)))[0])
    for base in [1e21, 1e20, 1e6, 1e-4, 1e-5, 100000.0, 999999.5]:
        for k in range(-3, 4):
            vals.append(base + k * math.ulp(base))
    vals += [0.0, -0.0, float("nan"), float("inf"), float("-inf"), 5e-324, -5e-324, 2.2250738585072014e-308,
             1.7976931348623157e308, -1.7976931348623157e308, 0.5, 1.5, 2.5, 0.05, 0.15, 0.25, 0.35, 1e23, 8.41e21,
             9.5e-5, 0.000095, 999999.49999999994, 123456.5, 0.1234565, 1.0e-300, 4.9406564584124654e-324]
    return vals


FLOAT_PROPS = float_property_values()

# humanize family, with floats, ints and numeric strings.
HUMAN = ["0", "1", "-1", "999", "1000", "1234", "1234567", "-1234567", "1e9", "1.5e12", "1e27", "1e30", "0.1",
         "0.001", "0.000123", "1e-9", "1e-25", "1e-30", "$value", "\"1234\"", "\"1e3\"", "\"abc\"", "\"NaN\"",
         "\"+Inf\"", "\"-Inf\"", "\"\"", "true", "0.5", "1024", "1048576", "1073741824", "1.5", "-2048", "1e300",
         "86400", "90061", "3600", "59.5", "0.0015", "0.000002", "-90061", "1e-10"]
for h in HUMAN:
    for fn in ["humanize", "humanize1024", "humanizeDuration", "humanizePercentage"]:
        r("{{ %s %s }}" % (fn, h))
for v in FLOATS[:40]:
    r("{{ humanize $value }} {{ humanizeDuration $value }}", value=v)
for t in [
    "{{ humanizeTimestamp 0 }}", "{{ humanizeTimestamp 1600000000 }}", "{{ humanizeTimestamp 1600000000.5 }}",
    "{{ humanizeTimestamp 1600000000.123456 }}", "{{ humanizeTimestamp \"1700000000\" }}", "{{ humanizeTimestamp -1 }}",
    "{{ humanizeTimestamp 1e20 }}", "{{ humanizeTimestamp \"x\" }}", "{{ humanizeTimestamp $value }}",
    "{{ 1600000000 | humanizeTimestamp }}", "{{ toTime 1600000000 }}", "{{ toTime \"1600000000.25\" }}",
    "{{ toTime 1e20 }}", "{{ (toTime 1600000000).Unix }}", "{{ (toTime 1600000000).Format \"2006-01-02\" }}",
    "{{ toTime 253402300800 }}", "{{ humanizeTimestamp 951782400 }}", "{{ humanizeTimestamp 4102444800 }}",
]:
    r(t)

# Strings, regexps, hosts, links, durations.
for t in [
    "{{ title \"hello world\" }}", "{{ title \"hello-world_foo bar.baz\" }}", "{{ title \"élan vital\" }}",
    "{{ toUpper \"abc é\" }}", "{{ toLower \"ABC É\" }}", "{{ toUpper $labels.job }}", "{{ $labels.job | toUpper }}",
    "{{ toUpper 1 }}", "{{ toUpper $value }}", "{{ match \"^web\" $labels.instance }}", "{{ match \"a(\" \"a\" }}",
    "{{ match \"[0-9]+\" \"abc123\" }}", "{{ reReplaceAll \"(\\\\w+)-(\\\\d+)\" \"$2-$1\" \"web-1\" }}",
    "{{ reReplaceAll \":.*\" \"\" $labels.instance }}", "{{ reReplaceAll \"a\" \"$$\" \"banana\" }}",
    "{{ reReplaceAll \"(a)\" \"$1x\" \"banana\" }}", "{{ reReplaceAll \"(a)\" \"${1}x\" \"banana\" }}",
    "{{ reReplaceAll \"(\" \"\" \"x\" }}", "{{ stripPort \"host:80\" }}", "{{ stripPort \"host\" }}",
    "{{ stripPort \"[::1]:80\" }}", "{{ stripPort \"::1\" }}", "{{ stripPort $labels.instance }}",
    "{{ stripDomain \"foo.bar.com:1234\" }}", "{{ stripDomain \"foo.bar.com\" }}", "{{ stripDomain \"10.1.2.3:9100\" }}",
    "{{ stripDomain \"[2001:db8::1]:80\" }}", "{{ stripDomain $labels.instance }}", "{{ stripDomain \"localhost\" }}",
    "{{ graphLink \"up == 0\" }}", "{{ tableLink \"rate(x[5m]) > 0.5\" }}", "{{ args 1 \"a\" }}", "{{ args }}",
    "{{ safeHtml \"<b>bold</b>\" }}", "{{ parseDuration \"1h30m\" }}", "{{ parseDuration \"1d\" }}",
    "{{ parseDuration \"90s\" }}", "{{ parseDuration \"1.5h\" }}", "{{ parseDuration \"\" }}", "{{ parseDuration \"0\" }}",
    "{{ parseDuration \"1y2w\" }}", "{{ parseDuration \"100ms\" }}", "{{ parseDuration \"5m\" | humanizeDuration }}",
    "{{ parseDuration \"1m1h\" }}", "{{ reReplaceAll \"\\\\.\" \"_\" \"a.b.c\" }}", "{{ title \"\" }}",
    "{{ match \"^(?i)WEB\" \"web\" }}", "{{ toLower \"MiXeD\" | title }}",
]:
    r(t)

# Query functions over WORLD. promtool's test storage returns series in no fixed order, so every case that
# depends on the order of several series sorts them first.
for t in [
    "{{ query \"up\" | len }}", "{{ range sortByLabel \"instance\" (query \"up\") }}{{ .Labels.instance }}={{ .Value }} {{ end }}",
    "{{ with query \"up{job='db'}\" }}{{ . | first | value }}{{ end }}",
    "{{ range sortByLabel \"instance\" (query \"node_load1\") }}{{ label \"instance\" . }}:{{ value . }};{{ end }}",
    "{{ query \"nothing\" | first }}", "{{ with query \"nothing\" }}x{{ else }}empty{{ end }}",
    "{{ range sortByLabel \"zone\" (query \"disk_bytes\") }}{{ .Labels.zone }}{{ end }}",
    "{{ range sortByLabel \"instance\" (query \"up\") }}{{ .Labels.instance }} {{ end }}",
    "{{ (query \"up{job='db'}\" | first).Labels.instance }}", "{{ query \"up\" | first | strvalue }}",
    "{{ range sortByLabel \"zone\" (query \"disk_bytes\") }}{{ .Value | humanize1024 }}B {{ end }}",
    "{{ label \"x\" (query \"up\" | first) }}", "{{ first 1 }}", "{{ value \"x\" }}", "{{ label \"a\" nil }}",
    "{{ value nil }}", "{{ index (sortByLabel \"instance\" (query \"up\")) 1 | value }}",
    "{{ (index (sortByLabel \"instance\" (query \"up\")) 0).Labels.job }}",
    "{{ query \"up\" | first | printf \"%T\" }}", "{{ range $i, $s := query \"node_load1\" }}{{ $i }}{{ end }}",
]:
    r(t)

# Execution errors.
for t in [
    "{{ nil }}", "{{ 1 2 }}", "{{ $labels.job 1 }}", "{{ .Labels 1 }}", "{{ \"x\" | 1 }}", "{{ humanize }}",
    "{{ humanize 1 2 }}", "{{ toUpper }}", "{{ 1 | printf \"%d %d\" 2 }}", "{{ printf \"%s\" | toUpper }}",
    "{{ $value | toUpper }}", "{{ toUpper nil }}", "{{ label nil nil }}", "{{ first nil }}",
    "{{ if $labels.job.x }}{{ end }}", "{{ (1).x }}", "{{ ($labels).job }}", "{{ (args 1 2).arg1.x }}",
    "{{ index $labels nil }}", "{{ slice $labels 1 }}", "{{ humanize \"1,5\" }}", "{{ humanize nil }}",
    "{{ humanize $labels }}", "{{ len nil }}", "{{ not }}", "{{ eq }}", "{{ lt 1 }}", "{{ and 1 | not }}",
    "{{ template \"x\" }}{{ define \"x\" }}{{ nope }}{{ end }}", "{{ printf \"%d\" (index $labels \"job\") }}",
    "{{ with $labels.job }}{{ .x }}{{ end }}",
]:
    if "nope" in t:
        continue
    r(t)

# Parse errors (promtool check rules).
for t in [
    "{{ }}", "{{ unknown }}", "{{ unknown|query }}", "{{ $expr }}", "{{ if 1 }}", "{{ if 1 }}{{ else }}",
    "a\n{{ .x", "{{ end }}", "{{ else }}", "{{ break }}", "{{ continue }}", "{{ \"abc }}", "{{ `abc }}",
    "{{ 'a }}", "{{ 'ab' }}", "{{ 3x }}", "{{ 1.x }}", "{{ (1 }}", "{{ 1) }}", "{{ .a | 1 }}", "{{ .a | \"s\" }}",
    "{{ range $a, $b, $c := . }}{{ end }}", "{{ range $a, 1 }}{{ end }}", "{{/* x ", "{{/* x */ y }}",
    "{{ template . }}", "{{ template \"a\" }}{{ template }}", "{{ define \"a\" }}", "{{ define a }}{{ end }}",
    "{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}", "{{ with 1 }}{{ else }}{{ else }}{{ end }}",
    "{{ nil.x }}", "{{ 9999999999999999999999 }}", "{{ 1e400 }}", "{{ \"\\q\" }}", "{{ .a, }}", "{{ @ }}",
    "{{ :a }}", "{{ $x.a := 1 }}", "{{ $x = 1 }}", "{{ range . }}{{ break 1 }}{{ end }}", "{{ if }}",
    "{{ with }}x{{ end }}", "{{ range }}{{ end }}", "{{ block }}", "{{ block \"b\" }}x{{ end }}",
    "{{ if 1 }}\n\n{{ \"abc }}", "{{ if 1 }}\n{{ .x", "{{\n.x\n| unknown }}", "{{ . . }}x{{ end }}",
    "{{ $x := 1 }}{{ if 1 }}{{ $y := 2 }}{{ end }}{{ $y }}", "{{ define \"x\" }}{{ $x }}{{ end }}",
    "{{ jsonEscape \"a\" }}", "{{ now }}", "{{ len }}x{{ end }}", "{{ 0x }}", "{{ 1e }}", "{{ 08 }}", "{{ -- }}",
    "{{ $ := 1 }}", "{{ range $i := 1 2 }}{{ end }}", "{{ if 1 }}{{ else if }}{{ end }}",
    "{{ range 1 }}{{ else if 1 }}{{ end }}", "{{ 1 | }}", "{{ | 1 }}", "{{ (|) }}", "{{ () }}", "{{ $x := }}",
    "{{ \"a\" \"b\" | printf }}", "{{ if 1 }}{{ end }}{{ end }}", "{{ print (1 2 }}", "{{ print 1) }}",
]:
    p(t)

# vmalert features newer than vmalert 1.79.5 (it rejects them): expectations from the documented Go semantics.
for t, want in [
    ("{{ now }}", "1.6e+09"),
    ("{{ parseDurationTime \"1h30m\" }}", "1h30m0s"),
    ("{{ (parseDurationTime \"90s\").Seconds }}", "90"),
    ("{{ formatTime 1600000000 \"2006-01-02T15:04:05Z07:00\" }}", "2020-09-13T12:26:40Z"),
    ("{{ toTime 1600000000 }}", "2020-09-13 12:26:40 +0000 UTC"),
    ("{{ $alertID }}/{{ $groupID }}", "42/7"),
    ("{{ $activeAt }}", "2020-09-13 12:26:40 +0000 UTC"),
    ("{{ $activeAt.Unix }}", "1600000000"),
    ("{{ $activeAt.Format \"2006-01-02 15:04\" }}", "2020-09-13 12:26"),
    ("{{ $for }}", "5m0s"),
    ("{{ $for.Seconds }}", "300"),
    ("{{ $isPartial }}", "false"),
]:
    spec(t, want)

# vmalert dialect, rendered by vmalert 1.79.5 itself, with this -rule.templates file loaded.
VM_DEFS = """{{ define "summary" }}{{ .Labels.job }} on {{ .Labels.instance }} is {{ .Value | humanize }}{{ end }}
{{ define "upper" }}{{ . | toUpper }}{{ end }}
{{ define "list" }}{{ range $k, $v := . }}[{{ $k }}:{{ $v }}]{{ end }}{{ end }}
"""
VMALERT = ["{{ template \"summary\" . }}", "{{ template \"upper\" $labels.job }}", "{{ template \"list\" $labels }}",
           "{{ template \"upper\" \"x\" }}-{{ template \"summary\" . }}"]
for t in [
    "{{ $labels.job }} {{ $value }}", "{{ $value | humanize }}", "{{ $expr }}", "{{ $externalLabels.region }}",
    "{{ $externalURL }}", "{{ .Expr }}", "{{ .Value }}", "{{ .Labels.instance }}", "{{ $labels.missing }}",
    "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}", "{{ jsonEscape \"a\\\"b<c>&\\n\\t\\u00e9\" }}",
    "{{ jsonEscape $labels.instance }}", "{{ quotesEscape \"say \\\"hi\\\" and 'bye'\" }}",
    "{{ htmlEscape \"<a href='x'>&\\\"</a>\" }}", "{{ pathEscape \"a b/c?d&e=f:g@h$i+j,k;l\" }}",
    "{{ queryEscape \"a b/c?d&e=f:g@h$i+j,k;l~\" }}", "{{ crlfEscape \"a\\r\\nb\\nc\" }}",
    "{{ $expr | jsonEscape | queryEscape }}", "{{ $expr | queryEscape }}", "{{ $expr | pathEscape }}",
    "{{ humanize1024 1048576 }}", "{{ humanizeDuration 90061 }}", "{{ humanizePercentage 0.1234 }}",
    "{{ humanizeTimestamp 1600000000 }}", "{{ humanize \"1234\" }}", "{{ humanizeDuration \"3600\" }}",
    "{{ toTime 1600000000 }}", "{{ parseDuration \"1h30m\" }}", "{{ title \"hello world\" }}",
    "{{ toUpper \"abc\" }}", "{{ toLower \"ABC\" }}", "{{ match \"^web\" $labels.instance }}",
    "{{ reReplaceAll \"(\\\\w+)-(\\\\d+)\" \"$2-$1\" \"web-1\" }}", "{{ stripPort $labels.instance }}",
    "{{ stripDomain $labels.instance }}", "{{ args 1 \"a\" }}", "{{ safeHtml \"<b>\" }}",
    "{{ printf \"%.2f %d %s %q %v\" 3.14159 42 \"s\" \"q\" $value }}", "{{ len $labels }}",
    "{{ if gt $value 1000.0 }}big{{ else }}small{{ end }}", "{{ with query \"up\" }}{{ len . }}{{ end }}",
    "{{ range query \"node_load1\" }}{{ .Labels.instance }}={{ .Value }} {{ end }}",
    "{{ query \"up\" | first | value }}", "{{ (query \"up\" | first).Labels.job }}",
    "{{ range sortByLabel \"zone\" (query \"disk_bytes\") }}{{ .Labels.zone }}{{ end }}",
    "{{ query \"up\" | first | strvalue }}", "{{ label \"instance\" (query \"up\" | first) }}",
    "{{ define \"x\" }}[{{ . }}]{{ end }}{{ template \"x\" $labels.job }}", "{{ eq $labels.job \"node\" }}",
    "{{ $value | printf \"%.3e\" }}", "{{ print 1 2 \"a\" }}", "{{ html \"<x>\" }}", "{{ js \"it's\" }}",
    "{{ urlquery \"a b\" }}", "{{ index $labels \"job\" }}", "{{ slice \"abcdef\" 1 3 }}", "{{ not 0 }}",
    "{{ and 1 0 }}", "{{ or 0 \"x\" }}", "{{ $value }} {{ 1e6 }} {{ 1e-5 }} {{ 100000.0 }}",
]:
    VMALERT.append(t)

# ---------------------------------------------------------------------------------------------------------------
# Running promtool.
# ---------------------------------------------------------------------------------------------------------------

def promql_float(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    if v == 0 and math.copysign(1, v) < 0:
        return "-0.0"
    return repr(v)


def alert_expr(labels, value):
    expr = "vector(%s)" % promql_float(value)
    for k, v in sorted(labels.items()):
        expr = 'label_replace(%s, %s, %s, "", "")' % (expr, json.dumps(k), json.dumps(v.replace("$", "$$")))
    return expr


def go_unquote(s):
    """Decodes the inside of a Go double-quoted string (strconv.Quote output)."""
    out = bytearray()
    i = 0
    simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34}
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = s[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
        elif e == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif e == "u":
            out += chr(int(s[i + 2:i + 6], 16)).encode("utf-8")
            i += 6
        elif e == "U":
            out += chr(int(s[i + 2:i + 10], 16)).encode("utf-8")
            i += 10
        elif e in "01234567":
            out.append(int(s[i + 1:i + 4], 8))
            i += 4
        else:
            raise ValueError("bad escape in %r" % s)
    return out.decode("utf-8", errors="replace")


def move_unparsable(promtool, tmp):
    """Render cases promtool cannot even load become parse-check cases."""
    rules = [{"alert": "C%04d" % (n + 1), "expr": "vector(1)", "annotations": {"s": tpl}}
             for n, (tpl, _, _) in enumerate(RENDER)]
    with open(os.path.join(tmp, "pre.yml"), "w") as f:
        yaml.safe_dump({"groups": [{"name": "pre", "rules": rules}]}, f, allow_unicode=True, width=1 << 20)
    res = subprocess.run([promtool, "check", "rules", "pre.yml"], cwd=tmp, capture_output=True, text=True)
    bad = {int(m.group(1)) - 1 for m in re.finditer(r'"C(\d{4})": annotation', res.stdout + res.stderr)}
    keep = []
    for n, case in enumerate(RENDER):
        if n in bad:
            PARSE.append(case[0])
        else:
            keep.append(case)
    RENDER[:] = keep


def run_render(promtool, tmp):
    rules = []
    tests = []
    for n, (tpl, labels, value) in enumerate(RENDER):
        name = "C%04d" % (n + 1)
        labels = DEFAULT_LABELS if labels is None else labels
        value = DEFAULT_VALUE if value is None else value
        rules.append({"alert": name, "expr": alert_expr(labels, value), "annotations": {"s": tpl}})
        tests.append({"eval_time": EVAL_TIME, "alertname": name, "exp_alerts": []})
    series = []
    for lbls, v in WORLD:
        name = lbls["__name__"]
        inner = ",".join('%s=%s' % (k, json.dumps(val)) for k, val in sorted(lbls.items()) if k != "__name__")
        series.append({"series": "%s{%s}" % (name, inner), "values": "%s+0x10" % promql_float(v)})
    with open(os.path.join(tmp, "rules.yml"), "w") as f:
        yaml.safe_dump({"groups": [{"name": "cases", "rules": rules}]}, f, allow_unicode=True, width=1 << 20)
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "external_labels": EXTERNAL_LABELS,
            "external_url": EXTERNAL_URL,
            "input_series": series,
            "alert_rule_test": tests,
        }],
    }
    with open(os.path.join(tmp, "test.yml"), "w") as f:
        yaml.safe_dump(test, f, allow_unicode=True, width=1 << 20)
    res = subprocess.run([promtool, "test", "rules", "test.yml"], cwd=tmp, capture_output=True, text=True)
    out = res.stdout + res.stderr
    got = {}
    pattern = re.compile(r'alertname: (C\d{4}), time: .*?got:\[\n(.*?)\n\s*\]', re.S)
    for m in pattern.finditer(out):
        name, body = m.group(1), m.group(2)
        a = re.search(r'Annotations:\{s="((?:[^"\\]|\\.)*)"\}', body)
        got[name] = go_unquote(a.group(1)) if a else None
    cases = []
    for n, (tpl, labels, value) in enumerate(RENDER):
        name = "C%04d" % (n + 1)
        if name not in got:
            sys.exit("promtool printed nothing for %s (%r); output:\n%s" % (name, tpl, out[-3000:]))
        value = DEFAULT_VALUE if value is None else value
        cases.append({
            "id": name,
            "kind": "render",
            "dialect": "prometheus",
            "template": tpl,
            "labels": DEFAULT_LABELS if labels is None else labels,
            "value": promql_float(value),
            "expected": got[name],
            "source": "promtool-2.42",
        })
    return cases


def run_float_props(promtool, tmp):
    saved = RENDER[:]
    RENDER[:] = [(FLOAT_FORMATS, {}, v) for v in FLOAT_PROPS]
    try:
        cases = run_render(promtool, tmp)
    finally:
        RENDER[:] = saved
    for n, c in enumerate(cases):
        c["id"] = "F%04d" % (n + 1)
        c["kind"] = "float"
        c["expected"] = c["expected"]
    return cases


def run_parse(promtool, tmp):
    rules = []
    for n, tpl in enumerate(PARSE):
        rules.append({"alert": "P%04d" % (n + 1), "expr": "vector(1)", "annotations": {"s": tpl}})
    with open(os.path.join(tmp, "bad.yml"), "w") as f:
        yaml.safe_dump({"groups": [{"name": "parse", "rules": rules}]}, f, allow_unicode=True, width=1 << 20)
    res = subprocess.run([promtool, "check", "rules", "bad.yml"], cwd=tmp, capture_output=True, text=True)
    out = res.stdout + res.stderr
    errs = {}
    for m in re.finditer(r'rule \d+, "(P\d{4})": annotation "s": (.*)', out):
        errs[m.group(1)] = m.group(2)
    cases = []
    for n, tpl in enumerate(PARSE):
        name = "P%04d" % (n + 1)
        cases.append({
            "id": name,
            "kind": "check",
            "dialect": "prometheus",
            "template": tpl,
            "expected": errs.get(name, "ok"),
            "source": "promtool-2.42",
        })
    return cases


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_vmalert(vmalert, tmp):
    """Renders VMALERT with vmalert 1.79.5; templates it refuses to load are reported and left out."""
    skip = set()
    for _ in range(20):  # each round drops one template vmalert 1.79.5 cannot parse
        cases, bad = run_vmalert_once(vmalert, tmp, skip)
        if bad is None:
            return cases
        print("vmalert 1.79.5 rejects %r; left out" % VMALERT[bad], file=sys.stderr)
        skip.add(bad)
    sys.exit("vmalert rejected too many templates")


def run_vmalert_once(vmalert, tmp, skip):
    """Renders VMALERT with vmalert 1.79.5 against a fake datasource and a fake Alertmanager on loopback."""
    got = {}
    world = {}
    for lbls, v in WORLD:
        world.setdefault(lbls["__name__"], []).append((lbls, v))

    def answer(q):
        if q.startswith("case_"):
            return [(DEFAULT_LABELS, DEFAULT_VALUE)]
        name, _, matchers = q.partition("{")
        want = {}
        for m in matchers.rstrip("}").split(","):
            if "=" in m:
                k, v = m.split("=", 1)
                want[k.strip()] = v.strip().strip("'\"")
        return [(l, v) for l, v in world.get(name, []) if all(l.get(k) == v for k, v in want.items())]

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def query(self, params):
            q = params.get("query", [""])[0]
            ts = float(params.get("time", [str(time.time())])[0])
            result = [{"metric": l, "value": [ts, promql_float(v)]} for l, v in answer(q)]
            self.reply(200, {"status": "success", "data": {"resultType": "vector", "result": result}})

        def do_GET(self):
            u = urllib.parse.urlparse(self.path)
            if u.path.endswith("/api/v1/query"):
                return self.query(urllib.parse.parse_qs(u.query))
            self.reply(404, {})

        def do_POST(self):
            u = urllib.parse.urlparse(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if u.path.endswith("/api/v1/query"):
                params = urllib.parse.parse_qs(u.query)
                params.update(urllib.parse.parse_qs(body.decode()))
                return self.query(params)
            if u.path.endswith("/api/v2/alerts"):
                for a in json.loads(body):
                    name = a.get("labels", {}).get("alertname", "")
                    if name.startswith("V") and name not in got:
                        got[name] = a.get("annotations", {}).get("s")
                return self.reply(200, {})
            self.reply(404, {})

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rules = [{"alert": "V%04d" % (n + 1), "expr": "case_V%04d" % (n + 1), "annotations": {"s": t}}
             for n, t in enumerate(VMALERT) if n not in skip]
    defs = os.path.join(tmp, "defs.tpl")
    with open(defs, "w") as f:
        f.write(VM_DEFS)
    path = os.path.join(tmp, "vm.yml")
    with open(path, "w") as f:
        yaml.safe_dump({"groups": [{"name": "vmcases", "interval": "1s", "rules": rules}]}, f, allow_unicode=True,
                       width=1 << 20)
    proc = subprocess.Popen([
        vmalert, "-rule=" + path, "-datasource.url=http://127.0.0.1:%d" % port,
        "-notifier.url=http://127.0.0.1:%d/am" % port, "-httpListenAddr=127.0.0.1:%d" % free_port(),
        "-evaluationInterval=1s", "-external.url=" + VM_EXTERNAL_URL,
        "-external.label=region=" + EXTERNAL_LABELS["region"], "-loggerLevel=ERROR", "-rule.templates=" + defs,
    ], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(60):  # at most 30 seconds
            if len(got) == len(rules) or proc.poll() is not None:
                break
            time.sleep(0.5)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        server.shutdown()
    if not got:
        err = proc.stderr.read().decode()
        m = re.search(r'rule "vmcases"\."V(\d{4})"', err)
        if m:
            return None, int(m.group(1)) - 1
        sys.exit("vmalert sent no alerts: %s" % err[-2000:])
    cases = []
    for n, t in enumerate(VMALERT):
        name = "V%04d" % (n + 1)
        if n in skip:
            continue
        if name not in got:
            print("vmalert did not render %s %r; left out" % (name, t), file=sys.stderr)
            continue
        cases.append({
            "id": name,
            "kind": "render",
            "dialect": "vmalert",
            "template": t,
            "labels": DEFAULT_LABELS,
            "value": promql_float(DEFAULT_VALUE),
            "expr": "case_" + name,
            "expected": got[name],
            "source": "vmalert-1.79.5",
        })
    return cases, None


def run_vmalert_checks(vmalert, tmp):
    """Parse-checks every PARSE template with `vmalert -dryRun` (which stops at the first bad template)."""
    cases = []
    path = os.path.join(tmp, "check.yml")
    for n, tpl in enumerate(PARSE):
        rule = {"alert": "A", "expr": "up", "annotations": {"s": tpl}}
        with open(path, "w") as f:
            yaml.safe_dump({"groups": [{"name": "g", "rules": [rule]}]}, f, allow_unicode=True, width=1 << 20)
        res = subprocess.run([vmalert, "-rule=" + path, "-dryRun", "-loggerLevel=ERROR"], capture_output=True,
                             text=True, timeout=60)
        out = res.stdout + res.stderr
        m = re.search(r"error parsing annotation template: (.*)$", out, re.M)
        if res.returncode == 0:
            want = "ok"
        elif m:
            want = m.group(1)
        else:
            sys.exit("vmalert -dryRun failed on %r without a template error: %s" % (tpl, out[-1000:]))
        cases.append({
            "id": "Q%04d" % (n + 1),
            "kind": "check",
            "dialect": "vmalert",
            "template": tpl,
            "expected": want,
            "source": "vmalert-1.79.5",
        })
    return cases


def spec_cases():
    cases = []
    for n, (tpl, labels, value, want) in enumerate(SPEC):
        cases.append({
            "id": "S%04d" % (n + 1),
            "kind": "render",
            "dialect": "vmalert",
            "template": tpl,
            "labels": DEFAULT_LABELS if labels is None else labels,
            "value": promql_float(DEFAULT_VALUE if value is None else value),
            "expected": want,
            "source": "spec",
        })
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--promtool", default="promtool")
    ap.add_argument("--vmalert", default="vmalert")
    args = ap.parse_args()
    version = subprocess.run([args.promtool, "--version"], capture_output=True, text=True).stdout
    if "2.42" not in version:
        sys.exit("need promtool 2.42, found: %s" % version.splitlines()[:1])
    with tempfile.TemporaryDirectory() as tmp:
        move_unparsable(args.promtool, tmp)
        cases = run_render(args.promtool, tmp) + run_float_props(args.promtool, tmp) + run_parse(args.promtool, tmp)
        cases += run_vmalert(args.vmalert, tmp) + run_vmalert_checks(args.vmalert, tmp) + spec_cases()
    doc = {
        "generated_by": "scripts/template-oracle.py",
        "eval_time_seconds": 300,
        "external_labels": EXTERNAL_LABELS,
        "external_url": EXTERNAL_URL,
        "vmalert_external_url": VM_EXTERNAL_URL,
        "vmalert_rule_templates": VM_DEFS,
        "world": [{"labels": l, "value": v} for l, v in WORLD],
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    by_source = {}
    for c in cases:
        by_source[c["source"]] = by_source.get(c["source"], 0) + 1
    print("wrote %d cases to %s: %s" % (len(cases), os.path.relpath(OUT, ROOT), by_source))


if __name__ == "__main__":
    main()
