"""Which program last saved a workbook, when it is one whose save breaks the buttons.

LibreOffice and WPS keep a `.xlsm`'s VBA project but rewrite it: the Dictionary class becomes a standard module
and the code names (ThisWorkbook, Sheet1, ...) are dropped from xl/workbook.xml, so Excel cannot run the buttons.
"""

import re

# what docProps/app.xml's <Application> holds when these programs save (LibreOffice: "LibreOffice/7.4.7.2$Linux...")
_OTHER_PROGRAMS = (("libreoffice", "LibreOffice"), ("openoffice", "OpenOffice"), ("wps", "WPS"), ("kingsoft", "WPS"))


def other_program(app_xml: bytes | None, workbook_xml: bytes, has_vba_project: bool) -> str | None:
    """The program other than Excel that last saved the package ('LibreOffice', 'WPS', ...); '' when only the lost code
    names of a macro workbook show it; None when nothing does."""
    application = re.search(rb"<(?:\w+:)?Application>([^<]*)</", app_xml or b"")
    named = application[1].decode("utf-8", "replace").lower() if application else ""
    for mark, program in _OTHER_PROGRAMS:
        if mark in named:
            return program
    book_properties = re.search(rb"<(?:\w+:)?workbookPr\b[^>]*>", workbook_xml)
    if has_vba_project and not (book_properties and b"codeName=" in book_properties[0]):
        return ""
    return None
