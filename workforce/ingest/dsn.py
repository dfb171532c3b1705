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
    fast = _read_whole(data, lines, name)
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


# ------------------------------------------------------------------------------------------ the whole file at once

_BLOCKS = sorted(K.BLOCK_PARENT)
_CODE = np.array([int(b[1:3]) * 10000 + int(b[5:7]) * 100 + int(b[8:10]) for b in _BLOCKS], dtype=np.int64)
_ORDER = np.argsort(_CODE)
_CODE, _BLOCKS = _CODE[_ORDER], [_BLOCKS[i] for i in _ORDER]


def _depth(block: str) -> int:
    parent = K.BLOCK_PARENT[block]
    return 0 if parent is None else 1 + _depth(parent)


_DEPTH = np.array([_depth(b) for b in _BLOCKS], dtype=np.int64)
_PARENT = np.array([_CODE[_BLOCKS.index(K.BLOCK_PARENT[b])] if K.BLOCK_PARENT[b] else -1 for b in _BLOCKS])
_ORDERED = np.isin(_PARENT, [_CODE[_BLOCKS.index(b)] for b in ORDERED_PARENTS])
_KEY_DIGITS = [1, 2, 5, 6, 8, 9, 11, 12, 13]
_KEY_MARKS = {0: ord("S"), 3: ord("."), 4: ord("G"), 7: ord("."), 10: ord("."), 14: ord(",")}


def _code(block: str) -> int:
    return int(_CODE[_BLOCKS.index(block)])


def _read_whole(data: bytes, lines: list[str], name: str) -> DsnFile | None:
    """The file read at once with array operations, when nothing in it is out of place: every line well formed,
    every block known and under its parent, in order, the individus' values in their lists. None otherwise: the
    line-by-line :class:`_Parser` then reads it and names each fault (same rows either way; the tests compare).
    Individus with anything but one plain contract go through :func:`_rows` as the line parser's do."""
    n = len(lines)
    buf = np.frombuffer(data, dtype=np.uint8)
    starts = np.r_[0, np.flatnonzero(buf == 10) + 1][:n]
    if len(starts) != n:
        return None
    ends = np.r_[starts[1:] - 1, len(buf)]
    if n and ends[-1] > starts[-1] and buf[ends[-1] - 1] == 10:
        ends[-1] -= 1
    cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == 13)
    length = ends - cr - starts  # characters: ISO-8859-1 is one byte a character
    if not len(length) or length.min() < 15 or length.max() > MAX_LINE:
        return None
    key = buf[starts[:, None] + np.arange(15)].astype(np.int64)
    if any((key[:, i] != c).any() for i, c in _KEY_MARKS.items()):
        return None
    d = key[:, _KEY_DIGITS] - 48
    if ((d < 0) | (d > 9)).any():
        return None
    blk = (d[:, 0] * 10 + d[:, 1]) * 10000 + (d[:, 2] * 10 + d[:, 3]) * 100 + d[:, 4] * 10 + d[:, 5]
    rub = d[:, 6] * 100 + d[:, 7] * 10 + d[:, 8]
    quotes = np.flatnonzero(buf == 39)
    cend = starts + length
    n_quotes = np.searchsorted(quotes, cend) - np.searchsorted(quotes, starts + 15)
    quoted = (length >= 17) & (buf[np.minimum(starts + 15, len(buf) - 1)] == 39) & (buf[cend - 1] == 39)
    if (~quoted & (n_quotes > 0)).any():
        return None
    kind = np.searchsorted(_CODE, blk)
    if (kind >= len(_CODE)).any() or (_CODE[np.minimum(kind, len(_CODE) - 1)] != blk).any():
        return None
    # block occurrences: a new one where the block changes or a rubrique number does not go up
    new = np.r_[True, (blk[1:] != blk[:-1]) | (rub[1:] <= rub[:-1])]
    occ_line = np.flatnonzero(new)
    occ_of_line = np.cumsum(new) - 1
    occ_kind = kind[occ_line]
    occ_blk = blk[occ_line]
    depth = _DEPTH[occ_kind]
    n_occ = len(occ_line)
    # the parent of an occurrence is the last occurrence above it no deeper than the parent's depth
    idx = np.arange(n_occ)
    parent_occ = np.full(n_occ, -1)
    for level in range(int(depth.max())):
        last = np.maximum.accumulate(np.where(depth <= level, idx, -1))
        at = depth == level + 1
        parent_occ[at] = np.r_[-1, last[:-1]][at]
    child = depth > 0
    if (parent_occ[child] < 0).any() or (occ_blk[parent_occ[child]] != _PARENT[occ_kind[child]]).any():
        return None
    ordered = np.flatnonzero(_ORDERED[occ_kind])
    by_parent = ordered[np.argsort(parent_occ[ordered], kind="stable")]
    same = parent_occ[by_parent[1:]] == parent_occ[by_parent[:-1]]
    if (same & (occ_blk[by_parent[1:]] % 100 < occ_blk[by_parent[:-1]] % 100)).any():
        return None
    total = np.flatnonzero(blk == _code(K.TOTAL))
    if not len(total) or (blk[total[0]:] != _code(K.TOTAL)).any():
        return None

    vstart = 15 + quoted
    vend = length - quoted

    def values(mask) -> tuple[np.ndarray, list[str]]:
        at = np.flatnonzero(mask)
        return at, [lines[i][a:b] for i, a, b in zip(at.tolist(), vstart[at].tolist(), vend[at].tolist())]

    # établissement of each line: SIREN (06.001) then SIRET (SIREN + 11.001) as the line parser keeps them
    siren_at, siren_v = values((blk == _code(K.ENTREPRISE)) & (rub == 1))
    siret_at, nic_v = values((blk == _code(K.ETABLISSEMENT)) & (rub == 1))
    siren_of = np.searchsorted(siren_at, siret_at) - 1
    sirets = np.array([""] + [(siren_v[k] if k >= 0 else "") + v for k, v in zip(siren_of.tolist(), nic_v)], object)
    siret_of_line = sirets[np.searchsorted(siret_at, np.arange(n), side="right")]

    parser = _Parser(name)
    parser.rubriques = n
    parser.seen_total = True
    roots = np.flatnonzero(depth == 0)
    for k, o in enumerate(roots.tolist()):
        b = _BLOCKS[occ_kind[o]]
        if b not in (K.DECLARATION, K.TOTAL):
            continue
        blk_o = _block(lines, b, o, occ_line, n, rub, vstart, vend)
        if b == K.TOTAL:
            parser.total = blk_o.values
            continue
        closing = occ_line[roots[k + 1]] - 1 if k + 1 < len(roots) else n - 1
        parser.siret = siret_of_line[closing]
        try:
            parser._declaration(blk_o)
        except ExtractRejected:
            return None
    try:
        month = parser.check(n)
    except ExtractRejected:
        return None

    # individus, their contracts and the contracts' ends and suspensions
    ind_occ = np.flatnonzero(occ_blk == _code(K.INDIVIDU))
    n_ind = len(ind_occ)
    ind_rank = np.full(n_occ, -1)
    ind_rank[ind_occ] = np.arange(n_ind)
    con_occ = np.flatnonzero(occ_blk == _code(K.CONTRAT))
    con_rank = np.full(n_occ, -1)
    con_rank[con_occ] = np.arange(len(con_occ))
    con_ind = ind_rank[parent_occ[con_occ]]
    sub_occ = np.flatnonzero(np.isin(occ_blk, [_code(K.FIN_CONTRAT), _code(K.SUSPENSION)]))
    n_con = np.bincount(con_ind, minlength=n_ind)
    subs_of_ind = np.bincount(con_ind[con_rank[parent_occ[sub_occ]]], minlength=n_ind)
    plain = (n_con == 1) & (subs_of_ind == 0)
    one_con = np.full(n_ind, -1)
    one_con[con_ind[n_con[con_ind] == 1]] = np.flatnonzero(n_con[con_ind] == 1)

    def column(block: str, number: int, rank: np.ndarray, size: int) -> list:
        at, vals = values((blk == _code(block)) & (rub == number))
        out = [None] * size
        for r, v in zip(rank[occ_of_line[at]].tolist(), vals):
            out[r] = v
        return out

    head = {r: column(K.INDIVIDU, int(r), ind_rank, n_ind) for r in ("001", "005", "006", "019", "020")}
    cols = {r: column(K.CONTRAT, int(r), con_rank, len(con_occ))
            for r in ("001", "004", "005", "006", "007", "009", "011", "012", "013", "014", "020", "021", "026",
                      "053", "055", "056", "057", "058", "059", "079")}
    con = {r: [c[i] if i >= 0 else None for i in one_con.tolist()] for r, c in cols.items()}
    rows = _plain_rows(head, con, plain, siret_of_line[occ_line[ind_occ]], occ_line[ind_occ] + 1)

    # the others, read as the line parser reads them
    departures, ended = [], 0
    others = np.flatnonzero(np.array([r is None for r in rows.tolist()], dtype=bool))
    if len(others):
        con_of = {}
        for c in con_occ.tolist():
            con_of.setdefault(int(ind_rank[parent_occ[c]]), []).append(c)
        sub_of = {}
        for s in sub_occ.tolist():
            sub_of.setdefault(int(parent_occ[s]), []).append(s)
        for i in others.tolist():
            o = int(ind_occ[i])
            ind = _Individu(int(occ_line[o]) + 1, siret_of_line[occ_line[o]],
                            _block(lines, K.INDIVIDU, o, occ_line, n, rub, vstart, vend))
            for c in con_of.get(i, []):
                contract = [_block(lines, K.CONTRAT, c, occ_line, n, rub, vstart, vend), [], []]
                for s in sub_of.get(c, []):
                    b = _BLOCKS[occ_kind[s]]
                    contract[1 if b == K.FIN_CONTRAT else 2].append(_block(lines, b, s, occ_line, n, rub, vstart,
                                                                           vend))
                ind.contracts.append(contract)
            row, dep, end = _rows([ind], month, name)
            rows[i] = row[0] if row else False
            departures += dep
            ended += end
    frame, deps, ended = _frames([r for r in rows.tolist() if r is not False], departures, ended)
    return DsnFile(name, month, parser.declarations, frame, deps, n_ind, ended, n)


def _block(lines, block: str, o: int, occ_line, n: int, rub, vstart, vend) -> _Block:
    """One block occurrence as the line parser builds it."""
    first = int(occ_line[o])
    last = int(occ_line[o + 1]) if o + 1 < len(occ_line) else n
    b = _Block(block, first + 1)
    for i in range(first, last):
        r = f"{rub[i]:03d}"
        b.values[r] = lines[i][vstart[i]:vend[i]]
        b.lines[r] = i + 1
        b.last = r
    return b


def _each(column: pd.Series, fn) -> pd.Series:
    """fn of each value of a text column, computed once per distinct value (None where the cell is absent)."""
    distinct = column.dropna().unique()
    return column.map(dict(zip(distinct, map(fn, distinct))))


def _plain_rows(head: dict, con: dict, plain: np.ndarray, sirets, lines) -> np.ndarray:
    """The row of each individu with one contract, no end and no suspension, whose values are all in their lists
    (None for the others, which go through :func:`_rows`): the same dict :func:`_rows` builds for them, the
    checks of :class:`_Faults` made a column at a time."""
    h = pd.DataFrame(head, dtype=object)
    c = pd.DataFrame(con, dtype=object)

    def blank(s: pd.Series) -> np.ndarray:
        return (s.isna() | s.eq("")).to_numpy()

    def fits(s: pd.Series, codes) -> np.ndarray:
        return blank(s) | s.isin(list(codes)).to_numpy()

    def matches(s: pd.Series, pattern) -> np.ndarray:
        return blank(s) | _each(s, lambda v: pattern.fullmatch(v) is not None).eq(True).to_numpy()

    nir, matricule, temp = h["001"], h["019"], h["020"]
    ok = plain & (~blank(matricule) | (~blank(nir) & matches(nir, _NIR)) | (blank(nir) & ~blank(temp)))
    agent = np.where(~blank(matricule), matricule, np.where(~blank(nir), nir, temp))
    dates = {v: _date(v) for v in {*head["006"], *con["001"]}}
    birth, start = [dates[v] for v in head["006"]], [dates[v] for v in con["001"]]
    ok &= np.array([b is not None and s is not None for b, s in zip(birth, start)], dtype=bool)
    ok &= fits(h["005"], K.SEXE)
    for r in ("007", "011", "014", "020", "021", "026", "053", "056"):
        ok &= fits(c[r], K.CHECKED[(K.CONTRAT, r)])
    ok &= ~blank(c["007"]) & c["026"].isin(list(K.STATUT_BY_CODE)).to_numpy() & fits(c["056"], K.SERVICE_CATEGORY)
    for r in ("055", "013", "012", "059"):
        ok &= matches(c[r], _DECIMAL)
    ok &= matches(c["058"], _INTEGER) & matches(c["057"], _INTEGER)
    net = c["005"].fillna("").str[:1].astype(object)
    categorie = net.where(net.isin(K.NET_CATEGORY_PREFIX), c["004"].fillna("").str[:1].astype(object)
                          .map(K.PCS_CATEGORY))
    ok &= categorie.notna().to_numpy()
    statut = c["026"].map(K.STATUT_BY_CODE)
    temporary = (statut.eq(K.STATUT_PERMANENT) & c["007"].isin(K.NON_PERMANENT_NATURES)
                 & c["021"].isin(K.NON_PERMANENT_RECOURS))
    statut = statut.where(~temporary, K.STATUT_NON_PERMANENT)
    quotite = _each(c["055"].fillna("") + "|" + c["013"].fillna("") + "|" + c["012"].fillna(""), _quotite_of)
    regime = c["020"].map(lambda v: K.REGIME_LABEL.get(v or "", v))
    service = c["056"].map(lambda v: K.SERVICE_CATEGORY.get(v or "01"))
    contract = c["009"].fillna("") + "|" + c["001"].fillna("")
    sex = h["005"].map(lambda v: K.SEX.get(v or ""))

    def out_of(s) -> list:
        s = s.astype(object) if isinstance(s, pd.Series) else s
        return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in
                (s.tolist() if isinstance(s, pd.Series) else list(s))]

    def text(s: pd.Series) -> list:  # a rubrique's own value: None when absent, "" when empty
        return s.tolist()

    def number(s: pd.Series) -> list:
        return [v or None for v in s.tolist()]

    names = (C.AGENT_ID, C.BIRTH_DATE, C.SEX, C.STATUT, C.CATEGORIE, C.GRADE, C.METIER_LABEL, C.QUOTITE,
             C.ENTRY_DATE, C.SERVICE_CATEGORY, C.POSITION, C.INDICE, REGIME, NBI, SIRET, "contract", "line", SHAPE)
    keep = np.flatnonzero(ok)
    columns = [out_of(agent), birth, out_of(sex), out_of(statut), out_of(categorie),
               text(c["079"]), text(c["006"]), out_of(quotite), start, out_of(service),
               ["activite"] * len(ok), number(c["058"]), out_of(regime), number(c["059"]), list(sirets),
               contract.tolist(), [int(x) for x in lines], [""] * len(ok)]
    out = np.full(len(plain), None, dtype=object)
    picked = [[col[i] for i in keep.tolist()] for col in columns]
    out[keep] = [dict(zip(names, t)) for t in zip(*picked)]
    return out


def _quotite_of(key: str) -> str | None:
    """:func:`_quotite` from « rate|quotité|reference » (each possibly empty)."""
    rate, mine, ref = key.split("|")
    if rate:
        return f"{float(rate) / 100:.6g}"
    if mine and ref and float(ref) > 0:
        return f"{round(float(mine) / float(ref), 4):.6g}"
    return None
