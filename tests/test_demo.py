"""``make demo``: every printed demo account can log in."""

from shuangsuiji.accounts.roles import Role, user_roles
from shuangsuiji.cli import main
from shuangsuiji.demo import DEMO_ORGANISATIONS, DEMO_USERS


def test_demo_accounts_log_in(client, db, capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    inspector = next(row for row in rows if row[2] == "执法人员")
    assert inspector[0].isdigit()  # the demo inspector logs in with a real 执法证号
    assert {row[0] for row in rows} - {inspector[0]} == {
        username for username, *_, role in DEMO_USERS if role != Role.INSPECTOR
    }
    for username, password, *_ in rows:
        assert client.login(username=username, password=password), username
        assert client.get("/").status_code == 200
        client.logout()


def test_demo_is_idempotent_and_rotates_passwords(client, db, capsys):
    from shuangsuiji.accounts.models import Organisation, User

    main(["demo"])
    first = capsys.readouterr().out
    main(["demo"])
    second = capsys.readouterr().out
    assert Organisation.objects.count() == len(DEMO_ORGANISATIONS)
    assert User.objects.count() == len(DEMO_USERS)
    assert first != second
    roles = {user_roles(u)[0] for u in User.objects.filter(organisation__code="130281")}
    assert roles == set(Role)
