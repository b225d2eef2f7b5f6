"""Article pages of the fake web: the seed article with its embeds, and link targets.

The seed article is the Italian piece the archiver's seed file was flattened from:
the same paragraphs, with the four tweets as 2020-style oEmbed blockquotes (twitter.com
URLs, widgets.js), so fetching and parsing the real article works end to end.
"""

from __future__ import annotations

import html as htmllib

from tests.fakeweb.data import FakeData
from tests.fakeweb.services.oembed import SCRIPT, blockquote

SEED_URL = "https://news.example/2020/10/01/nagorno-karabakh.html"
JPOST_URL = "https://www.jpost.com/middle-east/azerbaijan-drones-report"
FOOTAGE_URL = "https://news.example/2020/10/01/drone-footage.html"
# Issue 9: tweets linked in prose (HTML) and a Markdown round-up with a converted embed.
PROSE_URL = "https://news.example/2020/10/02/drones-over-yerevan.html"
ROUNDUP_URL = "https://osint.example/2020/10/roundup.md"

# (kind, text): "p" paragraph, "h2" heading, "tweet" a key of the seed tweet ids.
SEED_BLOCKS: list[tuple[str, str]] = [
    ("p", ("Questa sera quattro droni azeri sono stati abbattuti dal sistema "
            "missilistico S-300 armeno a pochi chilometri dalla capitale Yerevan.")),
    ("tweet", "sv"),
    ("p", "Appare chiaro che la guerra sia a un punto cruciale."),
    ("p", ("Resterà un conflitto regionale oppure si estenderà comportando l’attivazione"
            " del sistema di alleanze?")),
    ("h2", "L’Armenia ricorrerà al CSTO?"),
    ("p", ("L’Armenia a differenza dell’Azerbaijan può fare ricorso a un vecchio "
            "trattato di mutuo soccorso, il CSTO (Collective Security Treaty "
            "Organization) che può essere utilizzato in caso di attacco nemico dal "
            "parlamento di Yerevan.")),
    ("p", ("Sulla base di questo trattato le forze armate di Bielorussia, Kazakhstan, "
            "Kyrgystan, Russia e Tajikistan sono obbligate a entrare in guerra in "
            "sostegno dell’Armenia.")),
    ("p", ("Il CSTO è uno strumento difensivo stipulato nel 1992 e che ha lo scopo di "
            "mantenere il controllo sugli Stati di influenza russa dopo la fine "
            "dell’URSS.")),
    ("h2", "Alleanze informali per l’Azerbaijan"),
    ("p", ("L’Azerbaijan dal canto suo ha già attivato il proprio sistema di alleanze a "
            "partire dalla Turchia che ha inviato un gran numero di miliziani che sono "
            "stati già impiegati al fronte.")),
    ("tweet", "pashinyan"),
    ("p", ("For Turkey, however, continuing a genocidal policy is not only a means of "
            "implementing Armenophobia, but also a pragmatic task.")),
    ("p", ("Israele ha invece venduto un gran numero di droni all’aviazione azera che "
            "stanno facendo la differenza sul campo di battaglia.")),
    ("p", ("L’Iran per il momento ha dichiarato di essere neutrale in questa battaglia "
            "del Nagorno-Karabakh.")),
    ("h2", "Obiettivo internazionale: stemperare la tensione"),
    ("p", ("Questo pomeriggio Macron, Trump e Putin hanno emesso un comunicato congiunto"
            " in cui chiedono il “cessate il fuoco” tra i due Paesi e la Russia ha aperto"
            " un canale diplomatico riservato.")),
    ("tweet", "artsakh"),
    ("p", ("Tuttavia il conflitto non parrebbe accennare a fermarsi e anzi, proprio "
            "qualche ora fa, il presidente della Repubblica di Artsakh (Nagorno-Karabakh)"
            " ha dichiarato che le ostilità cesseranno solo con la completa sconfitta "
            "dell’esercito Azero.")),
    ("h2", "L’Azerbaijan guadagna terreno nel Nagorno-Karabakh"),
    ("p", ("Al momento tuttavia le sorti del conflitto sembrano essere decisamente "
            "favorevoli all’Azerbaijan che lentamente sta guadagnando terreno "
            "strappandolo agli armeni a suon di colpi di artiglieria, fanteria e grazie "
            "all’utilizzo dei droni kamikaze.")),
    ("tweet", "frantzman"),
    ("p", ("L’Armenia ha deciso per il momento di non usare i missili Iskander che ha a "
            "disposizione per evitare che comunque la situazione possa degenerare "
            "ulteriormente generando una severa risposta da parte dell’Azerbaijan che "
            "dispone di una aviazione nettamente superiore a quella armena che potrebbe "
            "difendersi solo con la contraerea.")),
    ("p", ("Al momento dunque la situazione resta di grande incertezza mentre si "
            "continua a combattere ferocemente in quella linea del fronte che sempre più "
            "si sta riducendo con il passare dei giorni.")),
]


def _esc(text: str) -> str:
    return htmllib.escape(text, quote=False)


def seed_article(data: FakeData, tweet_ids: dict[str, str]) -> bytes:
    """The news.example article; embeds use the handle and name at posting time."""
    parts = []
    for kind, text in SEED_BLOCKS:
        if kind == "tweet":
            tweet = data.tweets[tweet_ids[text]]
            parts.append(blockquote(tweet, data, host="twitter.com", handle=tweet.posted_as)
                         + "\n" + SCRIPT)
        else:
            parts.append(f"<{kind}>{_esc(text)}</{kind}>")
    body = "\n".join(parts)
    return f"""<!DOCTYPE html>
<html lang="it"><head><meta charset="utf-8">
<title>Nagorno-Karabakh, la guerra a un punto cruciale | News Example</title>
<meta property="og:type" content="article">
<meta property="og:title" content="Nagorno-Karabakh, la guerra a un punto cruciale">
<meta property="article:published_time" content="2020-10-01T21:30:00+02:00">
<link rel="canonical" href="{SEED_URL}">
</head><body>
<header><a href="https://news.example/">News Example</a></header>
<article><h1>Nagorno-Karabakh, la guerra a un punto cruciale</h1>
<p class="byline">di Redazione Esteri &middot; <time datetime="2020-10-01T21:30:00+02:00">1 ottobre 2020</time></p>
{body}
</article></body></html>
""".encode()


def jpost_article() -> bytes:
    """The target of t.co/uYr4nwO5Bw: a plausible analysis page (invented text)."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>What Azerbaijan's Israeli drones are doing in Nagorno-Karabakh - analysis - The Jerusalem Post</title>
<meta property="og:title" content="What Azerbaijan's Israeli drones are doing in Nagorno-Karabakh - analysis">
<meta name="author" content="SETH J. FRANTZMAN">
<meta property="article:published_time" content="2020-10-01T14:52:00Z">
<link rel="canonical" href="{JPOST_URL}">
</head><body><article>
<h1>What Azerbaijan's Israeli drones are doing in Nagorno-Karabakh - analysis</h1>
<p class="byline">By SETH J. FRANTZMAN &middot; OCTOBER 1, 2020 17:52</p>
<p>Azerbaijan has fielded a plethora of drones in the fighting, among them the Orbiter,
the Harop loitering munition and the SkyStriker.</p>
<p>Videos released by Baku show strikes on air defense systems and armor, a new kind of
war in which cheap unmanned aircraft shape the front line.</p>
</article></body></html>
""".encode()


def footage_article() -> bytes:
    """Where the bit.ly hop of the video tweet ends."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Drone footage from the front | News Example</title>
<link rel="canonical" href="{FOOTAGE_URL}"></head>
<body><article><h1>Drone footage from the front</h1>
<p>The defence ministry released new footage on Thursday afternoon.</p></article></body></html>
""".encode()


def home_page() -> bytes:
    return f"""<!DOCTYPE html>
<html lang="it"><head><meta charset="utf-8"><title>News Example</title></head>
<body><ul><li><a href="{SEED_URL}">Nagorno-Karabakh, la guerra a un punto cruciale</a></li>
<li><a href="{FOOTAGE_URL}">Drone footage from the front</a></li></ul></body></html>
""".encode()


def prose_article(tweet_ids: dict[str, str]) -> bytes:
    """A story that links a tweet in a sentence and quotes it, as most stories now do."""
    sv = tweet_ids["sv"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Drones over Yerevan | News Example</title>
<link rel="canonical" href="{PROSE_URL}"></head><body><article>
<h1>Drones over Yerevan</h1>
<p>The first report came from a news account. In
<a href="https://mobile.twitter.com/SVNewsAlerts/status/{sv}?s=20">a post on X</a>,
it said "Armenian S-300 air defense systems have intercepted 2 ballistic missiles".</p>
<p>Background reading: <a href="https://example.org/background">a long explainer</a>.</p>
</article></body></html>
""".encode()


def roundup_markdown(tweet_ids: dict[str, str]) -> bytes:
    """An OSINT round-up in Markdown: prose links, an /i/web/ link, and an embed as
    html-to-markdown converters leave it ("> — Name (@h) [Date](status URL)")."""
    return f"""# Round-up

The prime minister [wrote on X](https://x.com/NikolPashinyan/status/{tweet_ids["pashinyan"]}) about
the genocide, and the president's statement is at <https://x.com/i/web/status/{tweet_ids["artsakh"]}>.

> For those who want to know about Azerbaijan\\'s drones, here is my report
> — Seth Frantzman (@sfrantzman) [October 1\\, 2020](https://twitter.com/sfrantzman/status/{tweet_ids["frantzman"]})
""".encode()
