"""Device password checks in helper processes (ecohub.passwords.PasswordWorkers)."""

from __future__ import annotations

import asyncio
import signal

import pytest

from ecohub.passwords import PasswordWorkers, check_device_password, hash_device_password

PASSWORDS = [f"{100000 + i}" for i in range(12)]
HASHES = [hash_device_password(pw) for pw in PASSWORDS]


def test_verdicts_match_argon2_in_process() -> None:
    requests = [(h, pw) for h, pw in zip(HASHES, PASSWORDS, strict=True)]
    requests += [(h, "000000") for h in HASHES]  # wrong password
    requests += [("not an argon2 hash", "123456"), (HASHES[0], "")]

    async def main() -> list[bool]:
        workers = PasswordWorkers(processes=2)
        await workers.start()
        try:
            return list(await asyncio.gather(*(workers.check(h, pw) for h, pw in requests)))
        finally:
            await workers.close()

    verdicts = asyncio.run(main())
    assert verdicts == [check_device_password(h, pw) for h, pw in requests]
    assert verdicts == [True] * 12 + [False] * 14


def test_a_helper_that_dies_fails_its_checks_and_is_restarted() -> None:
    async def main() -> tuple[list[object], bool, int | None]:
        workers = PasswordWorkers(processes=1)
        await workers.start()
        (helper,) = workers._helpers
        first = helper.process
        assert first is not None
        pending = [workers.check(HASHES[0], PASSWORDS[0]) for _ in range(200)]
        first.kill()  # while most of the 200 checks (0.1 s of argon2) still wait
        outcomes = await asyncio.gather(*pending, return_exceptions=True)
        after = await workers.check(HASHES[1], PASSWORDS[1])  # queued until the restart
        await workers.close()
        return outcomes, after, first.returncode

    outcomes, after, returncode = asyncio.run(main())
    assert returncode is not None
    failed = [o for o in outcomes if o is not True]
    assert failed and all(isinstance(o, RuntimeError) and "exited" in str(o) for o in failed)
    assert after is True


def test_close_stops_the_helpers_after_pending_checks() -> None:
    async def main() -> tuple[list[bool], list[int | None]]:
        workers = PasswordWorkers(processes=2)
        await workers.start()
        processes = [helper.process for helper in workers._helpers]
        pending = [workers.check(h, pw) for h, pw in zip(HASHES, PASSWORDS, strict=True)]
        await workers.close()
        return [f.result() for f in pending], [p.returncode for p in processes if p]

    verdicts, codes = asyncio.run(main())
    assert verdicts == [True] * len(HASHES)
    assert codes == [0, 0]


def test_processes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="processes=0"):
        PasswordWorkers(processes=0)


def test_helpers_ignore_ctrl_c_and_stop_when_the_gateway_closes_them() -> None:
    async def main() -> tuple[bool, int | None]:
        workers = PasswordWorkers(processes=1)
        await workers.start()
        (helper,) = workers._helpers
        process = helper.process
        assert process is not None
        assert await workers.check(HASHES[0], PASSWORDS[0])  # running, signal handler set
        process.send_signal(signal.SIGINT)
        await asyncio.sleep(0.2)
        alive = await workers.check(HASHES[1], PASSWORDS[1])
        await workers.close()
        return alive, process.returncode

    alive, returncode = asyncio.run(main())
    assert alive is True and returncode == 0
