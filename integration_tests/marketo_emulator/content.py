"""Pools of realistic (and, on request, hostile) values that generated records pick from.

Real Marketo data is messy: names with apostrophes and quotes, companies with commas, addresses
with newlines, CJK free text containing U+2028 (which breaks naive line splitting — Airbyte's
and tap-marketo's code both warn about it, marketo-api.md §7.3). The hostile pool adds NUL bytes,
control characters, a bare "null" string (indistinguishable from CSV null) and similar traps.
"""
from __future__ import annotations

FIRST_NAMES = [
    "Abraham", "Jess", "Maria", "José", "Zoë", "Anne-Marie", "D'Arcy", "Łukasz", "Ørjan", "Siobhán",
    "Bob \"Bobby\"", "さくら", "太郎", "伟", "민준", "محمد", "Олена", "Chloé", "Nguyễn Văn", "Priya",
    "Kwame", "Ingrid", "Mateo", "Aiko", "Fatima", "Liam", "Noah", "Emma", "Olivia", "Ava",
]
LAST_NAMES = [
    "Lincoln", "O'Brien", "García", "Müller", "van der Berg", "Smith, Jr.", "山田", "王", "Kim",
    "Al-Sayed", "Nguyễn", "Kowalski", "Dubois", "Rossi", "Ivanova", "Okafor", "Larsen", "Silva",
    "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor", "Anderson",
]
ASCII_FIRST = ["abe", "jess", "maria", "jose", "zoe", "annemarie", "darcy", "lukasz", "orjan", "siobhan",
               "bob", "sakura", "taro", "wei", "minjun", "mohammed", "olena", "chloe", "van", "priya",
               "kwame", "ingrid", "mateo", "aiko", "fatima", "liam", "noah", "emma", "olivia", "ava"]
ASCII_LAST = ["lincoln", "obrien", "garcia", "muller", "vanderberg", "smith", "yamada", "wang", "kim",
              "alsayed", "nguyen", "kowalski", "dubois", "rossi", "ivanova", "okafor", "larsen", "silva",
              "johnson", "williams", "brown", "jones", "miller", "davis", "wilson", "taylor", "anderson"]
DOMAINS = ["example.com", "example.org", "example.net", "acme.example", "globex.example", "mail.example"]
COMPANIES = [
    "Acme, Inc.", "Globex Corporation", "Initech", "株式会社サンプル", "Müller & Söhne GmbH",
    "\"Quoted\" Widgets LLC", "Soylent Corp.", "Umbrella Holdings, Ltd.", "Hooli", "Stark Industries",
    "Wayne Enterprises", "Cyberdyne Systems", "北京示例科技有限公司", "Tyrell Corp", "Vandelay Industries",
]
TITLES = ["CEO", "VP, Marketing", "Director of Demand Gen", "Marketing Ops Manager", "Engineer",
          "\"Head\" of Growth", "Sales Rep", "CFO", "マーケティング部長", "Product Manager", "Analyst"]
CITIES = ["San Francisco", "New York", "Chicago", "Austin", "London", "Paris", "Berlin", "東京", "São Paulo",
          "Zürich", "Toronto", "Sydney", "Lagos", "Mumbai", "Seoul"]
STATES = ["CA", "NY", "IL", "TX", "WA", "MA", "CO", "FL", None, "ON", "NSW"]
COUNTRIES = ["United States", "United Kingdom", "France", "Germany", "Japan", "Brazil", "Switzerland",
             "Canada", "Australia", "Nigeria", "India", "South Korea"]
STREETS = ["100 Main St\nSuite 200", "1 Infinite Loop", "221B Baker Street", "Rue de Rivoli, 99",
           "Unter den Linden 77", "千代田区丸の内1-1", "742 Evergreen Terrace\nApt. 3", "P.O. Box 12, Station \"A\""]
INDUSTRIES = ["Software", "Healthcare", "Financial Services", "Manufacturing", "Education", "Retail",
              "Media & Entertainment", "Non-Profit", "Government", "Telecommunications"]
LEAD_SOURCES = ["Website", "Trade Show", "Webinar", "Paid Search", "Partner Referral", "List Import", "Social"]
LEAD_STATUSES = ["New", "Open", "Working", "Nurturing", "Qualified", "Unqualified", "Converted"]
VERTICALS = ["SaaS", "Fintech", "Biotech", "E-commerce", "Logistics", "Gaming", "Energy, Oil & Gas"]
QUOTES = [
    "顧客満足度は非常に高い。\u2028次回の更新は来年です。",
    "He said \"yes, definitely\", then left.\nCall back Monday.",
    "Line one\r\nLine two, with a comma",
    "客户反馈：产品很好，价格合理。\u2028需要更多培训。",
    "Loves the product 🚀, hates the invoice 🧾.",
    "Multi\nline\nnote",
    "Plain note",
    "Tab\tseparated\tthoughts",
    "«Guillemets» and „German quotes“ and 'single quotes'",
    "한국어 메모입니다.\u2029두 번째 단락.",
]
HOSTILE_STRINGS = [
    "null", "NULL", "\"", "\"\"", ",", "\n", "\r", "\r\n", "\x00", "a\x00b", "\x00null\x00",
    "\u2028\u2029", "\ufeffBOM first", "\u202eRTL override", "a\tb", "\\", "\\\"", "\x1b[31mred\x1b[0m",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "👩\u200d👩\u200d👧\u200d👦", "'; DROP TABLE leads;--", "<script>alert(1)</script>",
    "  leading and trailing  ", "e\u0301 combining", "\x7f", "{\"json\": [1, 2]}", "=HYPERLINK(\"x\")",
    "x" * 4000,
]
PAGE_PATHS = ["/", "/pricing", "/blog/marketing-ops", "/product?tab=features", "/contact-us", "/webinar/2024",
              "/ja/製品", "/search?q=a,b&lang=en", "/careers", "/docs/getting-started"]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
]
FORM_NAMES = ["Contact Us", "Webinar Registration", "Download: Ebook", "Demo Request", "Newsletter Signup"]
CHANGE_REASONS = ["Changed by API", "Form fill-out", "Changed by smart campaign", "Import", "Sync from SFDC"]
CHANGE_SOURCES = ["Web service API", "Web form fillout", "Marketo Flow Action", "List import", "SFDC"]


def pick(pool: list, slot: int):
    """Deterministic choice from a pool with one 16-bit slot."""
    return pool[slot % len(pool)]


def hostile_or(value, slot: int, hostile: bool):
    """In hostile mode about one value in eight is replaced by a hostile string."""
    if hostile and isinstance(value, str) and (slot & 7) == 0:
        return HOSTILE_STRINGS[(slot >> 3) % len(HOSTILE_STRINGS)]
    return value
