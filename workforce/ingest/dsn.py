"""Read one DSN file (déclaration sociale nominative, the monthly payroll filing) into the import's text table.

Why a reader of its own: the DSN is not a table but a tree of blocks, one rubrique a line
(``S21.G00.30.001,'value'``, ISO-8859-1, at most 256 characters, CRLF or LF; cahier technique CT2025 §3.4). A
child block belongs to the nearest parent above it, so the file is read with a stack (:data:`dsn_codes.BLOCK_PARENT`).
What comes out is the same thing the CSV reader gives the pipeline: one text row per agent in the canonical
columns (:mod:`workforce.ingest.columns`), with the line of the file, and the reasons a row cannot be stored. From
there the import is the CSV import (parse, pseudonymise, validate, quarantine, store), so a DSN and a CSV of the
same agents give the same snapshots.

Strict, and losing nothing:
- a fault inside an individu (a malformed line, a block out of order or without its parent, a value out of its code
  list, a missing or impossible date) puts that agent in the quarantine, the reason naming file, line and rubrique;
- a fault outside any individu (header blocks, a contract with no individu above, a truncated file, a total that
  does not match, a month declared twice) refuses the file whole (:class:`ExtractRejected`, exit 2, nothing written).

Personal data: the NIR (30.001), names (30.002-004), address and birth place are read only to be skipped; the
identifier kept is the matricule (30.019), else the NIR, else the numéro technique temporaire (30.020), and the
pipeline pseudonymises it exactly as a CSV matricule. Storage is an allow-list: only :data:`TABLE_COLUMNS`.

The agents of a file: ``individus`` declared = rows (present at the end of the month, or quarantined) + ``left``
(every contract ended in the month, or a détachement / disponibilité began: a departure with its date and motive) +
``ended_before`` (a contract that had already ended, declared again for a regularisation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.ingest import columns as C
from workforce.ingest import dsn_codes as K
from workforce.ingest.errors import ExtractRejected
from workforce.ingest.read import SHAPE, RawTable

ENCODING = "iso-8859-1"
MAX_LINE = 256  # characters a line, CRLF/LF excluded (CT2025 §3.4)
REGIME, NBI, SIRET = "regime_vieillesse", "nbi", "siret"
EXTRAS = (REGIME, NBI)
"""Rubriques kept beside the canonical columns (the snapshot's extras): régime de base vieillesse, NBI points."""
TABLE_COLUMNS = (C.AGENT_ID, C.BIRTH_DATE, C.SEX, C.STATUT, C.CATEGORIE, C.GRADE, C.METIER_LABEL, C.QUOTITE,
                 C.ENTRY_DATE, C.SERVICE_CATEGORY, C.POSITION, C.INDICE, *EXTRAS)
"""What a DSN gives of an agent; direction, service and métier code come from the SIRH table (dsn_import)."""

_KEY = re.compile(r"S\d{2}\.G\d{2}\.\d{2}\.\d{3}")
_DATE = re.compile(r"(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])(\d{4})")
_DECIMAL = re.compile(r"\d{1,9}(\.\d{1,4})?")
_INTEGER = re.compile(r"\d{1,5}")
_NIR = re.compile(r"[1-478]\d{4}(\d{2}|2A|2B)\d{6}")
_UTF8 = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xef\xbb\xbf")
ORDERED_PARENTS = (K.INDIVIDU, K.CONTRAT, "S21.G00.50")
"""Parents whose children come in the order of their group number (31, 34, 40, 50, 86...; 41, 60, 62, 65, 70...)."""


def looks_like_dsn(data: bytes) -> bool:
    """A DSN starts with a rubrique (``Sxx.Gxx.xx.xxx,``; the envoi block S10.G00.00 in a valid one), after an
    optional byte-order mark; :func:`read_dsn` then says what is wrong with it."""
    return re.match(rb"S\d{2}\.G\d{2}\.\d{2}\.\d{3},", data.lstrip(b"\xef\xbb\xbf")[:16]) is not None


# ------------------------------------------------------------------------------------------ the file

@dataclass
class Declaration:
    """One déclaration (S20 block) of the envoi: one établissement, one month."""

    siret: str
    month: pd.Timestamp  # first day of the month declared (S20.G00.05.005)
    nature: str
    kind: str  # S20.G00.05.002 type: 01 normale, 03 annule et remplace, 04 annule...
    fraction: str
    line: int


@dataclass
class DsnFile:
    """One DSN file read: its agents as text rows (``rows``), and what the import needs around them."""

    name: str
    month: pd.Timestamp
    declarations: list[Declaration]
    rows: pd.DataFrame  # TABLE_COLUMNS + SIRET, contract key, line, SHAPE (reasons, "" when none)
    departures: pd.DataFrame  # agent_id (raw), departure_date, departure_motive, siret
    individus: int
    ended_before: int
    rubriques: int

    @property
    def extract_date(self) -> pd.Timestamp:
        return self.month + pd.offsets.MonthEnd(0)


@dataclass
class _Block:
    block: str
    line: int
    values: dict = field(default_factory=dict)  # rubrique number -> value
    lines: dict = field(default_factory=dict)  # rubrique number -> line
    last: str = ""  # the last rubrique number read: a number not above it starts a new occurrence


@dataclass
class _Individu:
    line: int
    siret: str
    head: _Block
    contracts: list = field(default_factory=list)  # [contract block, [62 blocks], [65 blocks]]
    errors: list = field(default_factory=list)


def _refuse(name: str, line: int | None, message: str, key: str | None = None) -> ExtractRejected:
    where = f"{name}" + (f", ligne {line}" if line else "") + (f", rubrique {key}" if key else "")
    return ExtractRejected(f"{where} : {message}")


def _decode(data: bytes, name: str) -> list[str]:
    if b"\x00" in data[:65536]:
        raise _refuse(name, None, "fichier binaire (octets nuls) : ce n'est pas une DSN en texte.")
    m = _utf8_at(data)
    if m is not None:
        line = data.count(b"\n", 0, m) + 1
        raise _refuse(name, line, "encodage UTF-8 détecté ; une DSN est en ISO-8859-1 (cahier technique §3.4) : "
                                  "réexportez le fichier depuis le logiciel de paie sans le convertir.")
    lines = data.decode(ENCODING).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _utf8_at(data: bytes) -> int | None:
    """Where :data:`_UTF8` first matches (a UTF-8 two-byte sequence or a UTF-8 byte-order mark), found with array
    operations on the few bytes above 127."""
    buf = np.frombuffer(data, dtype=np.uint8)
    high = np.flatnonzero(buf[:-1] >= 0xC2)
    nxt = buf[high + 1]
    pair = high[(buf[high] <= 0xDF) & (nxt >= 0x80) & (nxt <= 0xBF)]
    bom = data.find(b"\xef\xbb\xbf")
    found = [int(pair[0])] if len(pair) else []
    found += [bom] if bom >= 0 else []
    return min(found) if found else None


def read_dsn(data: bytes, name: str) -> DsnFile:
    """Parse one DSN file; raises ExtractRejected when the file as a whole is broken."""
    lines = _decode(data, name)
    if not lines or not lines[0].startswith(K.ENVOI + "."):
        raise _refuse(name, 1, "une DSN commence par le bloc d'envoi S10.G00.00.")
    from workforce.ingest.dsn_whole import read_whole  # the fast road reads this module's blocks and rows

    fast = read_whole(data, lines, name)
    if fast is not None:
        return fast
    parser = _Parser(name)  # a file with a fault anywhere: line by line, each fault named where it is
    for number, line in enumerate(lines, start=1):
        parser.feed(number, line[:-1] if line.endswith("\r") else line)
    return parser.finish(len(lines))


class _Parser:
    """The stack parser: one call per line, an individu handed to :func:`_individu_row` when it closes."""

    def __init__(self, name: str):
        self.name = name
        self.stack: list[_Block] = []
        self.last_child: dict[int, int] = {}  # stack depth -> group number of the last child seen there
        self.declarations: list[Declaration] = []
        self.current: _Individu | None = None
        self.individus: list[_Individu] = []
        self.siret = ""
        self.siren = ""
        self.total: dict = {}
        self.rubriques = 0
        self.keys: dict[str, tuple[str, str] | None] = {}
        self.seen_total = False

    # one line -------------------------------------------------------------------------------------------------
    def feed(self, number: int, line: str) -> None:
        self.rubriques += 1
        if self.seen_total and not self.stack[-1].block == K.TOTAL:
            raise _refuse(self.name, number, "rubrique après le bloc de fin S90.G00.90.")
        key, sep, raw = line.partition(",")
        parsed = self.keys.get(key, False)
        if parsed is False:
            parsed = (key[:10], key[11:]) if _KEY.fullmatch(key) else None
            self.keys[key] = parsed
        if len(line) > MAX_LINE:
            return self._fault(number, parsed and key, f"ligne de {len(line)} caractères ({MAX_LINE} au plus)")
        if not sep or parsed is None:
            shown = key[:14] if sep else line[:14]  # never the value: it may be a name
            return self._fault(number, shown, "ligne mal formée (attendu Sxx.Gxx.xx.xxx,'valeur')")
        if len(raw) >= 2 and raw[0] == "'" and raw[-1] == "'":
            value = raw[1:-1]
        elif "'" in raw:
            return self._fault(number, key, "apostrophes de la valeur mal placées")
        else:
            value = raw  # some producers write unquoted values (dsn.md, Lexer)
        block, rub = parsed
        top = self.stack[-1] if self.stack else None
        if top is None or top.block != block or rub <= top.last:
            if not self._open(number, block, key):
                return
            top = self.stack[-1]
        top.values[rub] = value
        top.lines[rub] = number
        top.last = rub
        if block == K.ENTREPRISE and rub == "001":
            self.siren = value
        elif block == K.ETABLISSEMENT and rub == "001":
            self.siret = self.siren + value

    def _fault(self, number: int, key, message: str) -> None:
        if self.current is not None and any(b.block == K.INDIVIDU for b in self.stack):
            self.current.errors.append((number, key, message))
            return None
        raise _refuse(self.name, number, message, key)

    # a new block occurrence ---------------------------------------------------------------------------------
    def _open(self, number: int, block: str, key: str) -> bool:
        if block not in K.BLOCK_PARENT:
            self._fault(number, key, f"bloc inconnu {block}")
            self.stack.append(_Block(block, number))  # its rubriques follow it without more noise
            return True
        parent = K.BLOCK_PARENT[block]
        if parent is None:
            self._close_to(0)
        else:
            depth = next((i for i in range(len(self.stack) - 1, -1, -1) if self.stack[i].block == parent), None)
            if depth is None:
                self._fault(number, key, f"bloc {block} sans son bloc parent {parent} au-dessus")
                if self.current is not None and any(b.block == K.INDIVIDU for b in self.stack):
                    self.stack.append(_Block(block, number))
                    return True
                return False
            self._close_to(depth + 1)
            if parent in ORDERED_PARENTS:
                group = int(block[8:10])
                if group < self.last_child.get(depth, 0):
                    self._fault(number, key, f"bloc {block} après un bloc {parent[:8]}{self.last_child[depth]:02d} : "
                                             "ordre des blocs inconnu")
                self.last_child[depth] = max(group, self.last_child.get(depth, 0))
        blk = _Block(block, number)
        self.stack.append(blk)
        self._attach(blk, number, key)
        return True

    def _close_to(self, depth: int) -> None:
        while len(self.stack) > depth:
            closing = self.stack.pop()
            self.last_child.pop(len(self.stack), None)
            self._closed(closing)

    def _attach(self, blk: _Block, number: int, key: str) -> None:
        b = blk.block
        if b == K.INDIVIDU:
            self.current = _Individu(number, self.siret, blk)
        elif b == K.CONTRAT and self.current is not None:
            self.current.contracts.append([blk, [], []])
        elif b in (K.FIN_CONTRAT, K.SUSPENSION) and self.current is not None and self.current.contracts:
            self.current.contracts[-1][1 if b == K.FIN_CONTRAT else 2].append(blk)
        elif b == K.TOTAL:
            self.seen_total = True

    def _closed(self, blk: _Block) -> None:
        b = blk.block
        if b == K.INDIVIDU and self.current is not None:
            self.individus.append(self.current)
            self.current = None
        elif b == K.DECLARATION:
            self._declaration(blk)
        elif b == K.TOTAL:
            self.total = blk.values

    def _declaration(self, blk: _Block) -> None:
        v = blk.values
        for rub in ("001", "002", "005"):
            if not v.get(rub):
                raise _refuse(self.name, blk.line, "rubrique obligatoire absente de la déclaration", f"S20.G00.05.{rub}")
        for rub in ("001", "002"):
            if v[rub] not in K.CHECKED[(K.DECLARATION, rub)]:
                raise _refuse(self.name, blk.lines[rub], f"valeur « {v[rub]} » hors de la liste des codes",
                              f"S20.G00.05.{rub}")
        m = _DATE.fullmatch(v["005"])
        if not m or m[1] != "01":
            raise _refuse(self.name, blk.lines["005"], f"mois déclaré « {v['005']} » : attendu 01MMAAAA",
                          "S20.G00.05.005")
        self.declarations.append(Declaration(self.siret, pd.Timestamp(int(m[3]), int(m[2]), 1), v["001"], v["002"],
                                             v.get("003", ""), blk.line))

    def finish(self, n_lines: int) -> DsnFile:
        month = self.check(n_lines)
        rows, departures, ended = _frames(*_rows(self.individus, month, self.name))
        return DsnFile(self.name, month, self.declarations, rows, departures, len(self.individus), ended,
                       self.rubriques)

    def check(self, n_lines: int) -> pd.Timestamp:
        """The file-level checks once every line is read (total, declarations, one month): the month declared."""
        if not self.seen_total:
            raise _refuse(self.name, n_lines, "fichier tronqué : le bloc de fin S90.G00.90 est absent.")
        self._close_to(0)
        expected = self.total.get("001", "")
        if not expected.isdigit() or int(expected) != self.rubriques:
            raise _refuse(self.name, n_lines, f"le fichier a {self.rubriques} rubriques, le total en annonce "
                                              f"« {expected} » : fichier tronqué ou modifié.", "S90.G00.90.001")
        if not self.declarations:
            raise _refuse(self.name, None, "aucune déclaration (bloc S20.G00.05) dans le fichier.")
        n_decl = self.total.get("002", "")
        if n_decl and (not n_decl.isdigit() or int(n_decl) != len(self.declarations)):
            raise _refuse(self.name, n_lines, f"{len(self.declarations)} déclaration(s) dans le fichier, le total en "
                                              f"annonce « {n_decl} ».", "S90.G00.90.002")
        months = {d.month for d in self.declarations}
        if len(months) > 1:
            shown = ", ".join(f"{m:%m/%Y}" for m in sorted(months))
            raise _refuse(self.name, None, f"plusieurs mois déclarés dans un même fichier ({shown}) : "
                                           "un fichier par mois.")
        others = sorted({d.nature for d in self.declarations} - {K.MONTHLY})
        if others:
            raise _refuse(self.name, None, f"nature de déclaration {', '.join(others)} ({K.DECLARATION_NATURE[others[0]]}) : "
                                           "seule la DSN mensuelle (01) est importée.", "S20.G00.05.001")
        return months.pop()


# ------------------------------------------------------------------------------------------ an individu -> a row

def _date(value: str | None) -> pd.Timestamp | None:
    m = _DATE.fullmatch(value or "")
    if not m:
        return None
    try:
        return pd.Timestamp(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:  # 31022024
        return None


class _Faults:
    """The reasons an individu cannot be stored, each naming its line and rubrique."""

    def __init__(self, name: str, errors: list):
        self.name = name
        self.items = [f"ligne {n}" + (f", rubrique {k}" if k else "") + f" : {m}" for n, k, m in errors]

    def add(self, blk: _Block, rub: str, message: str) -> None:
        line = blk.lines.get(rub, blk.line)
        self.items.append(f"ligne {line}, rubrique {blk.block}.{rub} : {message}")

    def code(self, blk: _Block, rub: str, required: bool = False) -> str | None:
        """The value of a rubrique checked against its code list (None when absent)."""
        value = blk.values.get(rub)
        if value is None or value == "":
            if required:
                self.add(blk, rub, "rubrique obligatoire absente")
            return None
        codes = K.CHECKED[(blk.block, rub)]
        if value not in codes:
            self.add(blk, rub, f"valeur « {value[:20]} » hors de la liste des codes")
            return None
        return value

    def date(self, blk: _Block, rub: str, required: bool = False) -> pd.Timestamp | None:
        value = blk.values.get(rub)
        if value is None or value == "":
            if required:
                self.add(blk, rub, "date obligatoire absente")
            return None
        d = _date(value)
        if d is None:
            self.add(blk, rub, f"date illisible ou impossible « {value[:20]} » (attendu JJMMAAAA)")
        return d

    def number(self, blk: _Block, rub: str, pattern=_DECIMAL) -> str | None:
        value = blk.values.get(rub)
        if value is None or value == "":
            return None
        if not pattern.fullmatch(value):
            self.add(blk, rub, f"nombre illisible « {value[:20]} »")
            return None
        return value


def _statut(f: _Faults, blk: _Block) -> str | None:
    nature = f.code(blk, "007", required=True)
    code = f.code(blk, "026", required=True)
    f.code(blk, "020")
    recours = f.code(blk, "021")
    if code is None:
        return None
    if code not in K.STATUT_BY_CODE:
        f.add(blk, "026", f"statut d'emploi « {code} » ({K.STATUT_EMPLOI[code]}) : pas un agent de la fonction "
                          "publique territoriale (attendu 01, 02 ou 08)")
        return None
    statut = K.STATUT_BY_CODE[code]
    if statut == K.STATUT_PERMANENT and nature in K.NON_PERMANENT_NATURES and recours in K.NON_PERMANENT_RECOURS:
        statut = K.STATUT_NON_PERMANENT
    return statut


def _quotite(f: _Faults, blk: _Block) -> str | None:
    """Share of full time: the partial-time rate (40.055, %) when given, else the contract's quotité over the
    reference quotité (40.013 / 40.012), else full time."""
    f.code(blk, "011")
    f.code(blk, "014")
    f.code(blk, "053")
    rate = f.number(blk, "055")
    if rate is not None:
        return f"{float(rate) / 100:.6g}"
    mine, ref = f.number(blk, "013"), f.number(blk, "012")
    if mine is not None and ref is not None and float(ref) > 0:
        return f"{round(float(mine) / float(ref), 4):.6g}"
    return None


def _categorie(blk: _Block) -> str | None:
    net = blk.values.get("005", "")
    if net[:1] in K.NET_CATEGORY_PREFIX:
        return net[:1]
    return K.PCS_CATEGORY.get(blk.values.get("004", "")[:1])


def _agent_id(f: _Faults, head: _Block) -> str | None:
    v = head.values
    if v.get("019"):
        return v["019"]
    nir = v.get("001", "")
    if nir:
        if not _NIR.fullmatch(nir):
            f.add(head, "001", "NIR mal formé (13 caractères attendus) et pas de matricule (30.019)")
            return None
        return nir
    if v.get("020"):
        return v["020"]
    f.add(head, "001", "ni matricule (30.019), ni NIR (30.001), ni numéro technique temporaire (30.020)")
    return None


def _exit(f: _Faults, contract: _Block, ends: list[_Block]) -> tuple[pd.Timestamp | None, str | None]:
    """The end of a contract (date, motive) its 62 blocks declare; a 099 cancels the end declared before it."""
    when, motive = None, None
    for e in ends:
        d = f.date(e, "001", required=True)
        code = f.code(e, "002", required=True)
        if code == K.CANCELLED_END:
            when, motive = None, None
            continue
        if d is None or code is None:
            continue
        when = d
        if code == K.OTHER_END:
            motive = "mutation" if contract.values.get("007") in K.MUTATION_NATURES else C.UNKNOWN_MOTIVE
        else:
            motive = K.EXIT_MOTIVE.get(code, "autre")
    return when, motive


def _suspension(f: _Faults, susps: list[_Block], month_end: pd.Timestamp) -> tuple[str | None, pd.Timestamp | None]:
    """The suspension running at the end of the month (motif code, start), if any."""
    running = (None, None)
    for s in susps:
        code = f.code(s, "001", required=True)
        start = f.date(s, "002", required=True)
        end = f.date(s, "003")
        if code is None or start is None:
            continue
        if start <= month_end and (end is None or end >= month_end):
            running = (code, start)
    return running


def _rows(individus: list[_Individu], month: pd.Timestamp, name: str):
    """Each individu's row (a dict) or departure, and how many had ended before the month."""
    month_end = month + pd.offsets.MonthEnd(0)
    rows, departures, ended_before = [], [], 0
    for ind in individus:
        f = _Faults(name, ind.errors)
        head = ind.head
        agent = _agent_id(f, head)
        birth = f.date(head, "006", required=True)
        sex = f.code(head, "005")
        if not ind.contracts:
            f.add(head, "001", "individu sans contrat (bloc S21.G00.40)")
        active, left = [], []
        for blk, ends, susps in ind.contracts:
            start = f.date(blk, "001", required=True)
            statut = _statut(f, blk)
            when, motive = _exit(f, blk, ends)
            susp, susp_start = _suspension(f, susps, month_end)
            quotite = _quotite(f, blk)
            sc_code = f.code(blk, "056")
            if sc_code is not None and sc_code not in K.SERVICE_CATEGORY:
                f.add(blk, "056", f"catégorie de service « {sc_code} » : pas un emploi de la fonction publique")
            indice = f.number(blk, "058", _INTEGER)
            nbi = f.number(blk, "059", _DECIMAL)
            f.number(blk, "057", _INTEGER)
            if start is not None and when is not None and when < start:
                f.add(blk, "001", f"fin de contrat ({when:%d/%m/%Y}) antérieure à son début ({start:%d/%m/%Y})")
            c = {"start": start, "statut": statut, "quotite": quotite, "indice": indice, "nbi": nbi,
                 "service": K.SERVICE_CATEGORY.get(sc_code or "01"), "regime": blk.values.get("020"),
                 "position": K.POSITION_SUSPENSIONS.get(susp, "activite"), "grade": blk.values.get("079"),
                 "label": blk.values.get("006"), "categorie": _categorie(blk), "blk": blk,
                 "key": f"{blk.values.get('009', '')}|{blk.values.get('001', '')}"}
            if when is not None and when <= month_end:
                left.append((when, motive, c))
            elif susp in K.LEAVING_SUSPENSIONS:
                left.append((susp_start, K.LEAVING_SUSPENSIONS[susp], c))
            else:
                active.append(c)
        if not f.items and not active:
            when, motive, _ = max(left, key=lambda x: x[0])
            if when >= month - pd.Timedelta(days=1):
                departures.append({C.AGENT_ID: agent, C.DEPARTURE_DATE: when, C.DEPARTURE_MOTIVE: motive,
                                   SIRET: ind.siret})
            else:
                ended_before += 1
            continue
        if active:
            main = max(active, key=lambda c: (c["start"] or pd.Timestamp.min))
        else:  # quarantined anyway: show what its last contract said
            main = max(left, key=lambda x: x[0])[2] if left else {}
        if active and main["categorie"] is None:
            f.add(main["blk"], "004", "catégorie hiérarchique introuvable (ni code NET en 40.005, ni PCS-ESE en 40.004)")
        starts = [c["start"] for c in active if c["start"] is not None]
        rows.append({
            C.AGENT_ID: agent, C.BIRTH_DATE: birth, C.SEX: K.SEX.get(sex or ""), C.STATUT: main.get("statut"),
            C.CATEGORIE: main.get("categorie"), C.GRADE: main.get("grade"), C.METIER_LABEL: main.get("label"),
            C.QUOTITE: main.get("quotite"), C.ENTRY_DATE: min(starts) if starts else None,
            C.SERVICE_CATEGORY: main.get("service"), C.POSITION: main.get("position"),
            C.INDICE: main.get("indice"), REGIME: K.REGIME_LABEL.get(main.get("regime") or "", main.get("regime")),
            NBI: main.get("nbi"), SIRET: ind.siret, "contract": main.get("key", ""), "line": ind.line,
            SHAPE: " ; ".join(f"{name}, {x}" for x in f.items),
        })
    return rows, departures, ended_before


def _frames(rows: list[dict], departures: list[dict], ended_before: int):
    frame = pd.DataFrame(rows, columns=[*TABLE_COLUMNS, SIRET, "contract", "line", SHAPE])
    for col in (C.BIRTH_DATE, C.ENTRY_DATE):
        frame[col] = pd.to_datetime(frame[col]).dt.strftime("%Y-%m-%d")
    deps = pd.DataFrame(departures, columns=[C.AGENT_ID, C.DEPARTURE_DATE, C.DEPARTURE_MOTIVE, SIRET])
    deps[C.DEPARTURE_DATE] = pd.to_datetime(deps[C.DEPARTURE_DATE])
    return frame, deps, ended_before


def to_raw_table(f: DsnFile, rows: pd.DataFrame | None = None) -> RawTable:
    """The agents of a DSN as the table the CSV reader gives: canonical headers, text cells ("" when empty),
    the reasons a row does not fit in SHAPE, and the line of each individu in the file."""
    rows = f.rows if rows is None else rows
    text = rows.drop(columns=[SIRET, "contract", "line"]).astype(object).where(rows.notna(), "")
    text = text.astype(str)
    header = [c for c in text.columns if c != SHAPE]
    return RawTable(name=f.name, rows=text.reset_index(drop=True), line=rows["line"].to_numpy(dtype=np.int64),
                    header=header, header_line=0, file_format="dsn", encoding=ENCODING,
                    physical_lines=f.rubriques)


def told_departures(after: pd.DataFrame, departures: pd.DataFrame | None, before: pd.DataFrame) -> pd.DataFrame:
    """The later snapshot as the movements see it: its rows, plus the leavers the DSN tells of (date and
    motive) among the agents of the earlier snapshot. An agent who came and went within the month was in
    neither snapshot: no movement, as with a CSV. Without told leavers (a CSV), ``after`` itself."""
    if departures is None or not len(departures):
        return after
    known = departures[departures[C.AGENT_ID].isin(before[C.AGENT_ID]) & ~departures[C.AGENT_ID].isin(after[C.AGENT_ID])]
    return pd.concat([after, known[[C.AGENT_ID, C.DEPARTURE_DATE, C.DEPARTURE_MOTIVE]]], ignore_index=True)
