"""CI runs exactly the README's two commands: the install-and-run one and the test one."""

import re

from .conftest import ROOT


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    head = text.split("## ", 1)[0]  # the two commands stand before the first section
    return re.findall(r"```bash\n(.+?)\n```", head, flags=re.DOTALL)


def test_readme_opens_with_exactly_two_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    install, test = commands
    assert "pip install" in install and "orgsim run scenarios/" in install
    assert "pytest" in test


def test_ci_runs_the_readme_commands_verbatim():
    script = (ROOT / ".ci/run").read_text()
    for command in _readme_commands():
        assert f"\n{command}\n" in script
    assert "chromium chromium-driver" in script
