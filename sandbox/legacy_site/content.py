"""Word lists and binary assets for the legacy site: fictional places, people and topics.

Everything here is invented (Demoshire is not a real county); names are common UK first names and
surnames combined at random, so appeals "name people" the way real ones do without naming anyone real.
All text is encodable in windows-1252, so any page can be served in that charset.
"""

from __future__ import annotations

import struct
import zlib

TOWNS = [
    "Kingsbridge", "Ashford Vale", "Brackenford", "Castlemere", "Dunwick", "Elmstead", "Fernhallow",
    "Greyholt", "Hartwell", "Ivybridge Cross", "Juniper Heath", "Kestrel Down", "Longmarsh", "Millbrook",
    "Northam", "Oakhurst", "Pennick", "Queensway", "Redcliffe", "Saltmere", "Thornbury St Giles",
    "Upperton", "Westcombe", "Yarrowby",
]  # fmt: skip

AREAS = ["north-demoshire", "south-demoshire", "kingsbridge-city", "the-vale", "coast-and-moors"]

WARDS = [
    "abbey", "all-saints", "bridge-street", "castle", "chapel-hill", "harbour", "high-cross", "king-edward",
    "market", "meadowside", "mill-lane", "priory", "riverside", "st-marys", "station-road", "westgate",
]  # fmt: skip

FIRST_NAMES = [
    "James", "Sarah", "Mohammed", "Emma", "Daniel", "Aisha", "Thomas", "Chloe", "Connor", "Olivia",
    "Liam", "Priya", "Jack", "Megan", "Callum", "Zara", "Ryan", "Sophie", "Kieran", "Hannah",
]  # fmt: skip
SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Khan", "Roberts",
    "Walker", "Wright", "Patel", "Hughes", "Green", "Hall", "Wood", "O'Brien", "Clarke", "Murphy",
]  # fmt: skip

CRIMES = [
    "burglary", "robbery", "assault", "vehicle theft", "criminal damage", "fraud", "shoplifting",
    "arson", "drug supply", "dangerous driving", "bike theft", "anti-social behaviour",
]  # fmt: skip

NEWS_TEMPLATES = [
    "Man charged after {crime} in {town}",
    "Woman arrested following {crime} in {town}",
    "Officers step up patrols in {town} after reports of {crime}",
    "Two teenagers charged with {crime} in {town}",
    "Community event in {town} raises awareness of {crime}",
    "{town} residents thanked for help tackling {crime}",
    "Sentence handed down for {crime} in {town}",
    "Drop-in surgery at {town} library this weekend",
]  # fmt: skip

APPEAL_TEMPLATES = [
    "Appeal to find missing {name}, {age}, from {town}",
    "Do you recognise this man? Appeal after {crime} in {town}",
    "Witness appeal after {crime} in {town}",
    "Police want to speak to {name} about {crime} in {town}",
    "Appeal for dashcam footage after {crime} near {town}",
]  # fmt: skip

ADVICE_TOPICS = [
    "fraud", "burglary", "online-safety", "vehicle-crime", "domestic-abuse", "anti-social-behaviour",
    "hate-crime", "scams", "cycle-theft", "rural-crime", "personal-safety", "firearms-licensing",
    "lost-and-found", "road-safety", "drones", "noise-nuisance", "doorstep-crime", "cybercrime",
]  # fmt: skip

DOCUMENTS = [
    "annual-report", "crime-prevention-leaflet", "stop-and-search-data", "police-and-crime-plan",
    "gender-pay-gap-report", "freedom-of-information-policy", "complaints-procedure", "budget-summary",
]  # fmt: skip

STATIC_PAGES = {
    "privacy-notice": "Privacy notice",
    "contact-us": "Contact us",
    "about-us": "About Demoshire Police",
    "accessibility": "Accessibility",
    "cookies": "Cookies",
    "freedom-of-information": "Freedom of information",
    "disclosure-log": "Freedom of information disclosure log",
    "complaints": "Complaints about the police",
    "careers": "Careers and volunteering",
    "terms-and-conditions": "Terms and conditions",
}

SECTIONS = {
    "news": "News",
    "appeals": "Appeals",
    "advice": "Advice and information",
    "stations": "Police stations",
    "neighbourhoods": "Your neighbourhood",
    "documents": "Publications",
}

# Characters that differ between windows-1252 and UTF-8, in ordinary prose: a curly apostrophe, quotes,
# pound sign, en dash, accented letters.
FLOURISH = "Demoshire’s officers – “here to help” – café owners paid £250 in fines; Chloë Brontë said."

GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def png(red: int, green: int, blue: int) -> bytes:
    """A valid 1×1 RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, red, green, blue]), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
