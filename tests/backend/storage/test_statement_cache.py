"""A busy process keeps its prepared statements: a submission re-parses no SQL once warm.

SQLite calls a connection's authorizer while it *compiles* a statement, never while it runs
one, so counting its calls counts the statements (re)prepared. The wheel's statement cache
keeps the most used statements; with its default size a process whose cache had filled up
(start-up, the console's many queries) re-parsed eight of a submission's eleven statements on
every request.
"""
from __future__ import annotations

from forms_backend.storage.core import STATEMENT_CACHE

from ..conftest import METERING, Applicant


def test_a_warm_process_prepares_no_statement_for_a_submission(app, client, storage):
    # A long-running process: more distinct statements than the wheel's default cache (128),
    # each used several times, as the console's queries are.
    for _ in range(3):
        for n in range(300):
            storage.db.execute(f"SELECT {n} + ?", (1,)).fetchone()
    people = []
    for n in range(4):
        person = Applicant(app.test_client(), "metering")
        assert person.fill({**METERING, "f_instruments": f"电子天平 {n} 台"}).status_code == 303
        person.check()
        people.append(person)
    assert people[0].submit().status_code == 303
    assert people[1].submit().status_code == 303  # every statement of the path has run twice
    compiled = [0]

    def authorizer(*_args):
        compiled[0] += 1
        return 0  # SQLITE_OK

    # Setting an authorizer makes SQLite compile its cached statements once more (the third
    # submission); after that a statement is compiled again only if the cache dropped it.
    storage.db.conn.set_authorizer(authorizer)
    try:
        assert people[2].submit().status_code == 303
        assert compiled[0] > 0  # the authorizer does see compilations
        compiled[0] = 0
        assert people[3].submit().status_code == 303
    finally:
        storage.db.conn.set_authorizer(None)
    assert compiled[0] == 0
    assert STATEMENT_CACHE >= 1000
