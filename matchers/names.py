"""People's names: which word is the surname, and which words are given names.

Pure data and functions. The given-name list lets the matcher tell "Dmitry
Isaev" (someone else) from "Isaev" alone; it is a list of common given names
in Kazakhstan and Central Asia, in one spelling each: skeletons make the other
spellings and scripts equal (Ruslan = Руслан, Shyngys = Шыңғыс).
"""

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from matchers.forms import KAZAKH_CASE_SUFFIXES, latin_spelling
from matchers.normalize import skeleton, skeletons, tokenize

GIVEN_NAMES = """
Abai Abdulla Abylai Adil Adilbek Adilet Aibek Aibol Aida Aidar Aidos Aidyn Aigerim Aigul Ainur
Aisulu Aizhan Akbota Akezhan Akmaral Akylbek Alibek Alikhan Alisher Aliya Almas Almat Almaz
Altynbek Alua Amir Amirkhan Anar Anara Anuar Arailym Ardak Arman Aruzhan Arystan Askar Askhat
Aslan Assel Asylbek Ayan Azamat Aziz Bakhyt Bakhytzhan Bauyrzhan Bekzat Berik Bolat Bota Dana
Daniyar Dariga Darkhan Daulet Dauren Dias Dilnaz Dina Dinara Duman Erbol Erkin Erlan Ermek
Erzhan Galym Gaukhar Gulmira Gulnar Gulnara Gulzhan Ilyas Indira Kairat Kaisar Kalybek Kamshat
Kanat Karim Kassym Kazbek Kazybek Kuandyk Kuanysh Kurmangazy Lazzat Madi Madina Makhambet
Maksat Malika Marat Mariam Medet Meiram Meruert Mukhtar Murat Nazym Nurbek Nurgul Nurlan
Nursultan Nurzhan Olzhas Omar Orynbasar Raikhan Raushan Rinat Rustam Sabina Saltanat Samal
Sanzhar Saule Sayat Serik Serikzhan Shokan Shyngys Symbat Talgat Tamerlan Temirlan Timur
Togzhan Tokhtar Ulan Ulzhan Yerbol Yerzhan Yesset Zarina Zhaksylyk Zhanar Zhanbolat Zhandos
Zhanna Zhannur Zhasulan Zhibek Zhomart Zhuldyz Zulfiya
Aleksandr Aleksei Alexander Alexey Alexandra Alla Anastasia Anatoly Andrei Andrey Anna Anton
Artem Artur Boris Daria Denis Dmitry Dmitri Elena Evgeny Evgenia Galina Gennady Georgy Grigory
Igor Ilya Inna Irina Ivan Kirill Konstantin Ksenia Larisa Leonid Lyudmila Maksim Maxim
Marina Maria Mikhail Natalia Nadezhda Nikita Nikolai Nina Oksana Oleg Olga Pavel Petr Pyotr
Roman Ruslan Sergei Sergey Stanislav Svetlana Tatiana Valentina Valery Vadim Viktor Viktoria
Vitaly Vladimir Vladislav Vyacheslav Yulia Yury Yuri Zinaida
Abdulaziz Akmal Aziza Bakhtiyor Bobur Dilshod Farhod Jamshid Jasur Nodira Rustam Sardor
Shavkat Sherzod Ulugbek Umid Azamat Almazbek Bakyt Chingiz Emil Kamila Maksatbek Sadyr Tilek
Vikram David Michael John James Peter Paul Mary Sarah
"""


# Women's names in the list above: a woman's entry may have a bare-root or
# male-form surname (Saule Bekturgan) and is found in its feminine form.
FEMALE_GIVEN_NAMES = """
Aida Aigerim Aigul Ainur Aisulu Aizhan Akbota Akmaral Alua Aliya Anar Anara Arailym Aruzhan
Assel Bota Dana Dariga Dilnaz Dina Dinara Gaukhar Gulmira Gulnar Gulnara Gulzhan Indira Kamshat
Lazzat Madina Malika Mariam Meruert Nazym Nurgul Raikhan Raushan Sabina Saltanat Samal Saule
Symbat Togzhan Ulzhan Zarina Zhanar Zhanna Zhibek Zhuldyz Zulfiya Alexandra Alla Anastasia Anna
Daria Elena Evgenia Galina Inna Irina Ksenia Larisa Lyudmila Marina Maria Natalia Nadezhda Nina
Oksana Olga Svetlana Tatiana Valentina Viktoria Yulia Zinaida Aziza Nodira Kamila Mary Sarah
"""


@dataclass(frozen=True, slots=True)
class NameParts:
    """A person's name split into given names and surname."""

    given: tuple[str, ...]
    surname: str


_SURNAME_ENDINGS = ("ov", "ev", "ova", "eva", "in", "ina", "uli", "kizi", "ski", "skii",
                    "ska", "enko", "ian", "dze", "Svili", "baev", "baeva")  # fmt: skip
_GIVEN_SKELETONS = frozenset(skeleton(n) for n in GIVEN_NAMES.split())


# A given name in a sentence takes case endings (Руслана, Русланға, Ruslannyñ,
# Ruslan's), never possessive or plural ones, and never a surname's: Русланов
# and Данасин (Dana + possessive -сын) are surnames.
_RU_CASE = ("а", "у", "ом", "ем", "е", "ы", "и", "ой", "ою", "ю", "ей", "я", "ы")
_CASE_ENDINGS = tuple({latin_spelling(e) for e in (*_RU_CASE, *KAZAKH_CASE_SUFFIXES)} | {"s", "es"})
# Surface endings of surnames (Russian -ов/-ин, Kazakh -ұлы/-қызы) in both
# scripts: a word ending so is a surname unless it is a given name as it stands.
_SURNAME_SURFACE = ("ов", "ев", "ова", "ева", "ин", "ина", "ын", "ына", "ұлы", "улы", "қызы",
                    "кызы", "ov", "ev", "ova", "eva", "in", "ina", "uly", "uli", "kyzy", "kizi",
                    "qyzy")  # fmt: skip


@cache
def _given_forms() -> frozenset[str]:
    """Skeletons of every case form of every listed given name (~40k; built once)."""
    forms = set(_GIVEN_SKELETONS)
    for name in GIVEN_NAMES.split():
        bases = {name, name[:-1]} if name[-1] in "aeiouy" else {name}
        for base in bases:
            for ending in _CASE_ENDINGS:
                forms.update(skeletons(base + ending))
    return frozenset(forms)


_FEMALE_SKELETONS = frozenset(skeleton(n) for n in FEMALE_GIVEN_NAMES.split())


def is_female_given_name(word: str) -> bool:
    """A listed woman's given name, as written in a name."""
    return skeleton(word) in _FEMALE_SKELETONS


def is_given_name(word: str) -> bool:
    """A common given name exactly as written in a name (the nominative)."""
    return skeleton(word) in _GIVEN_SKELETONS


@lru_cache(maxsize=1 << 12)  # asked of the words beside every surname found
def is_known_given_name(word: str) -> bool:
    """A common given name in any case form (Руслана, Ruslanğa), but not a
    surname built on one (Русланов, Данасин = Dana + -sin)."""
    key = skeleton(word)
    if key in _GIVEN_SKELETONS:
        return True
    if unicodedata.normalize("NFC", word).casefold().endswith(_SURNAME_SURFACE):
        return False
    return key in _given_forms()


def looks_like_surname(word: str) -> bool:
    return skeleton(word).endswith(_SURNAME_ENDINGS) and not is_given_name(word)


def split_name(name: str, surname: str | None = None) -> NameParts:
    """Guess the surname: the one given; else, beside a known given name (as
    written, not an inflected form), the other word; else the word that looks
    like a surname (-ov, -eva, -uly …); else the last word."""
    parts = [t.text for t in tokenize(name)]
    if not parts:
        return NameParts((), "")
    if surname:
        wanted = skeleton(surname)
        chosen = next((p for p in parts if skeleton(p) == wanted), surname)
    elif len(parts) == 1:
        chosen = parts[0]
    elif is_given_name(parts[-1]) and not is_given_name(parts[0]):
        chosen = parts[0]  # "Тлеужан Айгерим": the known given name is not the surname
    elif is_given_name(parts[0]):
        chosen = parts[-1]  # "Мадина Амерла": given name first, as usual
    elif looks_like_surname(parts[-1]) or not looks_like_surname(parts[0]):
        chosen = parts[-1]
    else:
        chosen = parts[0]
    given = tuple(p for p in parts if p != chosen and not _is_patronymic(p))
    return NameParts(given, chosen)


def _is_patronymic(word: str) -> bool:
    return skeleton(word).endswith(("oviC", "eviC", "ovna", "evna")) and len(word) > 6
