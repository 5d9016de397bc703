"""Many applicants at once: exactly one application per submission, all references distinct."""
from __future__ import annotations

import threading

from forms_backend import create_app

from .conftest import METERING, Applicant, config


def test_many_submissions_at_once_from_several_threads(tmp_path):
    app = create_app(config(tmp_path, GUIDE_RATELIMIT_ENABLED=False))
    threads_n, each = 8, 6
    refs, errors = [], []
    barrier = threading.Barrier(threads_n)

    def applicant_thread(i):
        try:
            people = []
            for n in range(each):
                person = Applicant(app.test_client(), "metering")
                assert person.fill({**METERING, "f_instruments": f"器具 {i}-{n}"}).status_code == 303
                person.check()
                people.append(person)
            barrier.wait()  # submit together
            for person in people:
                r = person.submit()
                assert r.status_code == 303
                refs.append(r.headers["Location"].rsplit("/", 1)[1])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=applicant_thread, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    storage = app.extensions["guide"].storage
    assert len(refs) == len(set(refs)) == threads_n * each
    assert storage.count_applications() == threads_n * each
    assert set(storage.all_refs()) == set(refs)
    answers = {a.answers[0]["value"] for a in map(storage.get_application, refs)}
    assert len(answers) == threads_n * each  # each submission stored its own answers


def test_a_burst_of_clicks_from_one_session_makes_one_application(tmp_path):
    app = create_app(config(tmp_path, GUIDE_RATELIMIT_ENABLED=False))
    person = Applicant(app.test_client(), "metering")
    person.fill(METERING)
    person.check()
    cookie = person.client.get_cookie("guide_session").value
    locations, errors = [], []
    barrier = threading.Barrier(6)

    def click():
        try:
            client = app.test_client()
            client.set_cookie("guide_session", cookie)
            clone = Applicant(client, "metering")
            clone.page = person.page
            barrier.wait()
            locations.append(clone.submit().headers["Location"])
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
    threads = [threading.Thread(target=click) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(locations)) == 1
    assert app.extensions["guide"].storage.count_applications() == 1
