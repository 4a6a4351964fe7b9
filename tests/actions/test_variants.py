"""Variants of one procedure: age bounds and a foreign element."""

from __future__ import annotations

from actions.variants import adjust, age_fits, age_sibling
from retrieval.index import Hit

UNDER = ("1.014062", "Cấp thẻ căn cước cho người dưới 14 tuổi")
FROM = ("1.014061", "Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên")
BIRTH = ("1.001193", "Đăng ký khai sinh")
FOREIGN = ("2.000528", "Đăng ký khai sinh có yếu tố nước ngoài")


def hit(ref: tuple[str, str], score: float) -> Hit:
    return Hit(ref[0], ref[0], ref[1], score, score, 0.0, 0.5)


def test_age_bounds_in_titles() -> None:
    assert age_fits(UNDER[1], 10) and not age_fits(UNDER[1], 14) and not age_fits(UNDER[1], 16)
    assert age_fits(FROM[1], 14) and age_fits(FROM[1], 70) and not age_fits(FROM[1], 13)
    assert age_fits(BIRTH[1], 40)  # no bounds


def test_an_age_the_title_rules_out_gives_the_sibling_its_place_and_score() -> None:
    ranked = adjust([hit(UNDER, 0.99), hit(FROM, 0.01), hit(BIRTH, 0.001)], age=15, foreign=False)
    assert [h.code for h in ranked] == [FROM[0], BIRTH[0]]
    assert ranked[0].score == 0.99
    assert [h.code for h in adjust([hit(UNDER, 0.99), hit(FROM, 0.01)], age=10, foreign=False)] == [UNDER[0]]
    # no age: nothing changes
    assert [h.code for h in adjust([hit(UNDER, 0.99), hit(FROM, 0.01)], age=None, foreign=False)] == [UNDER[0], FROM[0]]


def test_the_foreign_variant_comes_first_only_when_a_foreigner_is_named() -> None:
    ranked = adjust([hit(BIRTH, 0.91), hit(FOREIGN, 0.47)], age=None, foreign=True)
    assert [h.code for h in ranked] == [FOREIGN[0], BIRTH[0]] and ranked[0].score == 0.91
    ranked = adjust([hit(FOREIGN, 0.8), hit(BIRTH, 0.6)], age=None, foreign=False)
    assert [h.code for h in ranked] == [BIRTH[0], FOREIGN[0]] and ranked[0].score == 0.8
    ranked = adjust([hit(FOREIGN, 0.8)], age=None, foreign=False)  # no plain sibling found: kept
    assert [h.code for h in ranked] == [FOREIGN[0]]


def test_the_sibling_an_age_points_to() -> None:
    titles = dict([UNDER, FROM, BIRTH])
    assert age_sibling(UNDER[0], 16, titles) == FROM[0]
    assert age_sibling(FROM[0], 9, titles) == UNDER[0]
    assert age_sibling(UNDER[0], 9, titles) is None
    assert age_sibling(BIRTH[0], 9, titles) is None


def test_among_a_procedures_levels_the_commune_comes_first_unless_another_is_named() -> None:
    from actions.variants import by_variant, family  # noqa: PLC0415

    commune = Hit("1.010386", "a", "Trình báo mất hộ chiếu phổ thông (thực hiện tại cấp xã)", 0.6, 0.6, 0.0, 0.5)
    province = Hit("1.001445", "b", "Trình báo mất hộ chiếu phổ thông (thực hiện tại cấp tỉnh)", 0.9, 0.9, 0.0, 0.5)
    ministry = Hit("2.000539", "c", "Trình báo mất hộ chiếu phổ thông (thực hiện tại cấp trung ương)", 0.88, 0.88, 0.0, 0.5)
    other = Hit("1.001456", "d", "Cấp hộ chiếu phổ thông ở trong nước", 0.5, 0.5, 0.0, 0.5)
    assert family(commune.title) == family(province.title) == family(ministry.title) != family(other.title)
    levels = {"1.010386": ("commune",), "1.001445": ("province",), "2.000539": ("ministry",), "1.001456": ("province",)}
    ranked = by_variant([province, ministry, commune, other], levels, level=None, foreign=False)
    assert ranked[0].code == "1.010386" and ranked[0].score == 0.9
    assert all(h.score <= 0.9 - 0.1 for h in ranked[1:] if h.code in levels and h.code != "1.001456")
    named = by_variant([province, ministry, commune, other], levels, level="ministry", foreign=False)
    assert named[0].code == "2.000539"
    assert [h.code for h in by_variant([other], levels, level=None, foreign=False)] == ["1.001456"]


def test_the_variant_without_a_border_area_is_the_ordinary_one() -> None:
    from actions.variants import by_variant  # noqa: PLC0415

    plain = Hit("1", "a", "Cấp giấy phép X", 0.5, 0.5, 0.0, 0.5)
    border = Hit("2", "b", "Cấp giấy phép X khu vực biên giới", 0.7, 0.7, 0.0, 0.5)
    ranked = by_variant([border, plain], {"1": ("commune",), "2": ("commune",)}, level=None, foreign=False)
    assert ranked[0].code == "1"


def test_the_level_a_title_names_outranks_the_records_level_field() -> None:
    from actions.variants import by_variant, title_levels  # noqa: PLC0415

    # the catalog files this central record as provincial; its title says which it is
    central = Hit("1.001321", "a", "Cấp đổi thẻ bảo hiểm y tế (thực hiện tại cấp trung ương)", 0.8, 0.8, 0.0, 0.5)
    provincial = Hit("1.002438", "b", "Cấp đổi thẻ bảo hiểm y tế (thực hiện tại cấp tỉnh)", 0.7, 0.7, 0.0, 0.5)
    levels = {"1.001321": ("province",), "1.002438": ("province",)}
    assert title_levels(central.title) == ("ministry",) and title_levels("Đăng ký giám hộ") == ()
    assert title_levels("Cấp X (cấp tỉnh, cấp xã)") == ("province", "commune")
    assert by_variant([central, provincial], levels, level=None, foreign=False)[0].code == "1.002438"
    assert by_variant([central, provincial], levels, level="ministry", foreign=False)[0].code == "1.001321"
