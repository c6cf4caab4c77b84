"""Built-in detectors the policy's checklists may name: facts that take more than one regex.

Each detector answers "does this request state X?" from the text and the ticket's context. They
are deliberately conservative about *absence*: only what is really absent is reported missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from supportdesk.core.triage.models import TicketIn

_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAYS = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?"
_NAME = r"[A-Z0-9][\w&.'’-]*(?:\s+(?:&\s+|and\s+|of\s+)?[A-Z0-9][\w&.'’-]*)*"
_NOT_NAMES = re.compile(
    rf"^(?:{_MONTHS}|{_DAYS}|I|We|The|Our|This|That|It|They|He|She|Hi|Hello|Thanks|Please|"
    r"Admin|Portal|Support|Help|Error|API|SSO|MFA|Can|Is|Do|Does)$",
    re.IGNORECASE,
)

_TENANT_NOUN = re.compile(
    rf"\b(?i:tenants?|clients?|customers?|workspaces?|org(?:anization|anisation)?s?|companies|company|"
    rf"practice|clinic|office|firm|account)\b(?:\s+(?i:called|named))?\s*[:\-–]?\s*[\"'“]?({_NAME})"
)
_FOR_NAME = re.compile(
    r"\b(?i:at|for|from|of|with)\s+[\"'“]?([A-Z][\w&'’-]+(?:\s+(?:&\s+)?[A-Z][\w&'’-]+)+)"
)
_NAME_BEFORE_NOUN = re.compile(
    rf"({_NAME})(?:'s|’s)?\s+(?i:tenant|workspace|team|office|staff|users|account)\b"
)
_QUOTED = re.compile(r"[\"“]([A-Z][^\"”]{2,60})[\"”]")
#: Two or more capitalised words in a row ("Peak Physio", "Brookfield Realty Group").
_CAPS_SEQ = re.compile(
    r"\b([A-Z][a-zà-ÿ'’.&-]+(?:\s+(?:&\s+|and\s+|of\s+|de\s+)?[A-Z][\wà-ÿ'’.&-]*)+)"
)
#: Words that start sentences or name products, not customers.
_NOT_CUSTOMER_WORDS = frozenset(
    """hi hello hey dear good morning afternoon evening thanks thank please quick call phone chat
    email note notes log fwd re fw subject from to cc the our we i my this that it they their can
    could would how why what when where is are do does did hatz premium standard free plan jumpstart
    slack teams microsoft google okta entra azure sso saml scim mfa api admin portal console msp
    support billing sales invoice credits credit usage workflow workflows agent agents app apps
    tenant tenants client clients customer customers user users monday tuesday wednesday thursday
    friday saturday sunday january february march april may june july august september october
    november december ai it ok urgent""".split()
)

_ALL_TENANTS = re.compile(
    r"\b(?:all|every|across|each)\s+(?:(?:\d+\s+)?of\s+)?(?:our|my|the)?\s*(?:\d+\s+)?"
    r"(?:tenants?|clients?|customers?|workspaces?)\b|\baccount[- ]wide\b|\bacross the board\b|"
    r"\bany (?:of (?:our|the|my) )?(?:\d+\s+)?(?:tenants?|clients?|customers?)\b|"
    # tenants in general ("every new tenant we create", "our clients in general") or several
    # by their number ("9 clients with after-hours lines")
    r"\b(?:every|each|all|any)\s+new\s+(?:tenants?|clients?|customers?)\b|\bnew tenants\b|"
    r"(?<!of )\bour tenants\b(?!\s+(?:is|has|was)\b)|"
    r"\b(?:clients?|customers?|tenants?) in general\b|"
    r"\b(?:[2-9]|[1-9]\d+)\s+(?:of\s+(?:our|their|the)\s+)?(?:tenants|clients|customers)\b|"
    r"\b(?:alle|todos (?:los|os|nuestros|nossos)|tous (?:les|nos)|tutti i|wszystki\w+|allen)\s+"
    r"(?:\w+\s+)?(?:tenants?|klanten|kunden|mandanten|clientes|clients|clienti|klient\w*)\b",
    re.IGNORECASE,
)
_OUR_ACCOUNT = re.compile(
    r"\b(?:our|my)\s+(?:whole\s+|entire\s+|own\s+)?(?:internal\s+)?(?:account|workspace|org|"
    r"organi[sz]ation|company|msp|portal|instance|usage|credits?|balance|allowance|pool)\b|"
    # the requester's own login, console or partner key ("my own admin acct, not a client",
    # "I can't get into the portal myself", "our partner API key")
    r"\bmy own (?:admin )?(?:account|acct|login)\b|\bnot (?:a|for a|any) client\b|"
    r"\b(?:portal|console|mtp) myself\b|\bour (?:admin|partner) (?:portal|console)\b|"
    r"\b(?:our|the) partner (?:api )?(?:key|console|portal)\b|"
    # "our pooled credits", "our monthly credit allowance", "our partner pool": a word or two
    # between, none of them a client's
    r"\b(?:our|my)\s+(?!(?:[\w-]+\s+)?(?:clients?|customers?|tenants?)\b)(?:[\w-]+\s+){1,2}"
    r"(?:account|workspace|usage|credits|balance|allowance|pool)\b|"
    r"\b(?:nuestra cuenta|nossa conta|notre compte|unser(?:em|es)? konto|ons account|"
    r"nostro account|naszym koncie|naszego konta)\b|"
    r"\bour own (?:partner |internal )?(?:account|api key|key|middleware|script|service|tooling)\b|"
    r"\bour internal \w+|\bno (?:client|tenant|customer)(?: tenant)? (?:is )?involved\b|"
    r"\bnothing to do with (?:any|a) (?:client|tenant|customer)\b",
    re.IGNORECASE,
)

_FULL_MONTHS = (
    r"(?:january|february|march|april|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)"
)
#: Months, weekdays and relative times in the languages requests arrive in (es, pt, fr, de, nl,
#: it, pl). Ambiguous short words ("mar", "mai", "maj") are left out: a miss only asks again.
_FOREIGN_MONTHS = (
    r"(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    r"noviembre|diciembre|janeiro|fevereiro|mar[çc]o|maio|junho|julho|setembro|outubro|novembro|"
    r"dezembro|janvier|f[ée]vrier|mars|avril|juin|juillet|ao[ûu]t|septembre|octobre|novembre|"
    r"d[ée]cembre|januar|februar|m[äa]rz|juni|juli|oktober|dezember|januari|februari|maart|"
    r"augustus|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
    r"stycze[nń]|stycznia|luty|lutego|marca|kwiecie[nń]|kwietnia|maja|czerwca|czerwiec|lipca|"
    r"lipiec|sierpnia|sierpie[nń]|wrze[sś]nia|wrzesie[nń]|pa[zź]dziernika|listopada|grudnia)"
)
_FOREIGN_DAYS = (
    r"(?:lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo|segunda-feira|ter[çc]a-feira|"
    r"quarta-feira|quinta-feira|sexta-feira|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|maandag|dinsdag|woensdag|"
    r"donderdag|vrijdag|zaterdag|zondag|luned[iì]|marted[iì]|mercoled[iì]|gioved[iì]|venerd[iì]|"
    r"poniedzia[łl]ek|wtorek|[śs]roda|czwartek|pi[ąa]tek|sobota|niedziela)"
)
_FOREIGN_RELATIVE = (
    r"(?:gistermiddag|gisteravond|gisterochtend|vanochtend|vanmorgen|vannacht|vorige week|"
    r"ce matin|hier soir|cette semaine|la semaine derni[èe]re|stamattina|stanotte|ieri|oggi|"
    r"la settimana scorsa|heute (?:morgen|fr[üu]h)|vorige woche|letzte woche|seit (?:dem|gestern|"
    r"heute)|desde (?:ayer|hoy|el|la|hace|ontem|hoje|o|a)|depuis (?:hier|ce|le|la|lundi)|"
    r"sinds|dalle \d|dal \d|wczoraj|dzisiaj|dzi[śs]|od wczoraj|esta ma[ñn]ana|esta manh[ãa]|"
    r"semana pasada|semana passada|deze (?:maand|week)|vorige maand|afgelopen (?:maand|week)|"
    r"ce mois|le mois dernier|este mes|el mes pasado|este m[êe]s|m[êe]s passado|questo mese|"
    r"il mese scorso|diesen monat|diese woche|dieser woche|w tym (?:tygodniu|miesi[ąa]cu)|"
    r"w zesz[łl]ym (?:tygodniu|miesi[ąa]cu)|w (?:styczniu|lutym|marcu|kwietniu|maju|czerwcu|"
    r"lipcu|sierpniu|wrze[śs]niu|pa[źz]dzierniku|listopadzie|grudniu)|za (?:stycze[nń]|luty|"
    r"marzec|kwiecie[nń]|maj|czerwiec|lipiec|sierpie[nń]|wrzesie[nń]|pa[źz]dziernik|listopad|"
    r"grudzie[nń]))"
)
_DATE_TIME = re.compile(
    # numeric dates and times need no word boundary after them (e.g. "2026-08-03T00:00Z", "12.03.")
    r"\d{4}-\d\d-\d\d|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}\.\d{1,2}\.(?:\d{2,4})?|"
    r"\b\d{1,2}(?::\d\d)?\s?(?:am|pm)\b|\b\d{1,2}:\d\d\b|"
    rf"\b(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}|"
    rf"{_DAYS}|{_FULL_MONTHS}|q[1-4]|yesterday|today|tonight|this (?:morning|afternoon|"
    r"evening|week|month|weekend|cycle|period|quarter|year)|last (?:night|week|month|weekend|cycle|"
    r"period|quarter|year|billing period|few days|couple of days|\d+ days)|all week|overnight|"
    r"earlier today|over the (?:\w+ )?weekend|weekend|"
    r"(?:first|second|third|last) week of|"
    r"since (?:the|last|yesterday|this|[0-9]|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|"
    r"jul|aug|sep|oct|nov|dec)|\d+\s+(?:hours?|days?|weeks?|minutes?)\s+ago|"
    r"(?:on )?the \d{1,2}(?:st|nd|rd|th)|"
    r"(?:start|end|beginning|middle) of (?:the )?(?:month|week|cycle|period)|"
    rf"in {_MONTHS}|gestern|heute|hier|aujourd.hui|ayer|hoy|ontem|hoje|gisteren|vandaag|"
    r"semana|woche|semaine|mes pasado|letzten monat|mois dernier|"
    rf"{_FOREIGN_MONTHS}|{_FOREIGN_DAYS}|{_FOREIGN_RELATIVE})\b",
    re.IGNORECASE,
)

_PARTICULAR_USER = re.compile(
    r"\b(?:a|one|this|that|another|certain|specific|single)\s+(?:of\s+(?:their|our|the|my)\s+)?"
    r"(?:user|person|employee|staff member|tech|technician|colleague|member|agent user|end user)\b|"
    r"\bone of (?:their|our|the|my|its) (?:users|staff|employees|people|techs|members)\b|"
    r"\b(?:her|his) (?:account|login|mfa|password|access|phone|seat)\b|"
    r"\b(?:a|one) (?:customer|client)(?:'s|’s)? (?:user|employee|staff)\b",
    re.IGNORECASE,
)
#: An e-mail address; group 1 is its domain.
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
_IDENTIFIED_USER = re.compile(
    _EMAIL.pattern + "|"
    r"\b(?i:all|every|everyone|everybody|each)\b(?:\s+(?i:of\s+)?(?:the\s+|their\s+|our\s+)?(?:\d+\s+)?(?i:users?|staff|employees))?|"
    r"\b\d+\s+(?i:users|people|staff|employees|techs)\b|"
    r"\b(?i:user|employee|tech|technician|colleague|member|admin|manager)\s+(?:named\s+|called\s+)?[A-Z][a-z]+|"
    r"\b[A-Z][a-z]+\s+[A-Z][a-z]+(?:'s|’s)?\s+(?i:account|login|mfa|password|access|seat|phone)|"
    r"\b(?i:office manager|practice manager|receptionist|bookkeeper|accountant|cfo|ceo|coo|cto|"
    r"owner|"
    r"front desk|hr manager|dispatcher|controller|paralegal|nurse|doctor|dentist|their admin|"
    r"the admin|tenant admin|client admin)\b",
)


@dataclass(frozen=True)
class Context:
    ticket: TicketIn
    text: str  # the request's own text (with the subject)
    whole: str  # the whole ticket text, for context shared by split requests


def _customer_email(ctx: Context) -> bool:
    """An e-mail address in the text on another domain than the requester's: a customer's user,
    whose domain names the customer ("tmorgan@silverpinerealty.example")."""
    own = (ctx.ticket.requester.email or "").rpartition("@")[2].lower()
    return any(m.group(1).lower() != own for m in _EMAIL.finditer(ctx.text))


def _named_tenant(ctx: Context) -> bool:
    # a request that is the whole ticket is read once
    for text in (ctx.text,) if ctx.text == ctx.whole else (ctx.text, ctx.whole):
        for rx in (_TENANT_NOUN, _FOR_NAME, _NAME_BEFORE_NOUN, _QUOTED):
            for m in rx.finditer(text):
                name = m.group(1).strip(" .,'’\"")
                first = name.split()[0] if name.split() else ""
                if name and not _NOT_NAMES.match(first) and not _NOT_NAMES.match(name):
                    return True
        for m in _CAPS_SEQ.finditer(text):
            words = [w.strip("'’.&-").lower().removesuffix("'s") for w in m.group(1).split()]
            if any(
                w and w not in _NOT_CUSTOMER_WORDS and w not in ("and", "of", "de") for w in words
            ):
                return True
    return False


DETECTORS: dict[str, Callable[[Context], bool]] = {
    "always": lambda ctx: True,
    "never": lambda ctx: False,
    "account_name": lambda ctx: bool(ctx.ticket.account.name),
    "requester_tenant": lambda ctx: (
        ctx.ticket.requester.role in ("tenant_admin", "customer_user", "end_user")
    ),
    "named_tenant": _named_tenant,
    "customer_email": _customer_email,
    "our_account": lambda ctx: (
        _OUR_ACCOUNT.search(ctx.whole) is not None or _ALL_TENANTS.search(ctx.whole) is not None
    ),
    "all_tenants": lambda ctx: _ALL_TENANTS.search(ctx.whole) is not None,
    # a date anywhere in the ticket: "over the same days" in a second request points at it
    "date_time": lambda ctx: _DATE_TIME.search(ctx.whole) is not None,
    "particular_user": lambda ctx: _PARTICULAR_USER.search(ctx.text) is not None,
    "identified_user": lambda ctx: _IDENTIFIED_USER.search(ctx.text) is not None,
}
