from conftest import run_cli, table_counts


def test_family(family_url):
    r = run_cli(family_url, "animal", "list", "--format", "json")
    assert r.exit_code == 0, r.stderr
    import json
    rows = json.loads(r.stdout)
    assert [x["studbook_id"] for x in rows] == ["1", "2", "3", "4"]
    before = table_counts(family_url)
    r = run_cli(family_url, "birth", "--dam", "1", "--sire", "2", "--date", "2018-01-01", "--at", "LEIPZIG", "--cub", "M")
    assert r.exit_code == 1
    assert table_counts(family_url) == before
