"""Parses a feed with an independent library and prints what it read, as JSON.

usage: check_feed.py atom|ics FILE
Atom: feedparser must recognise Atom 1.0 and find the document well-formed.
iCalendar: the `icalendar` package must parse it (RFC 5545), every event with UID, DTSTAMP
and a DATE start.
"""
import json
import sys

kind, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
if kind == "atom":
    import feedparser

    feed = feedparser.parse(data)
    if feed.bozo:
        sys.exit(f"not well-formed: {feed.bozo_exception}")
    if feed.version != "atom10":
        sys.exit(f"not Atom 1.0 but {feed.version!r}")
    print(json.dumps({
        "title": feed.feed.title,
        "id": feed.feed.id,
        "entries": [
            {"id": e.id, "title": e.title, "author": e.get("author"), "updated": e.updated}
            for e in feed.entries
        ],
    }))
else:
    import icalendar

    calendar = icalendar.Calendar.from_ical(data)
    events = []
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
            if required not in event:
                sys.exit(f"an event without {required}")
        start = event.decoded("DTSTART")
        if hasattr(start, "hour"):
            sys.exit("DTSTART is not a date")
        events.append({
            "uid": str(event["UID"]),
            "summary": str(event["SUMMARY"]),
            "start": start.isoformat(),
            "url": str(event.get("URL", "")),
        })
    print(json.dumps({"name": str(calendar.get("X-WR-CALNAME", calendar.get("NAME", ""))),
                      "events": events}))
