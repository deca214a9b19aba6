Attribute VB_Name = "KamButtons"
' kamxl buttons: each sheet button runs one tiny Sub here, which hands its action to Python.
' Python does the work (kamxl.excel.macros.dispatch); this module only checks that Python and
' kamxl can be started, and otherwise shows the install hint kept in the workbook's name
' kam_msg_no_python (VBA source stays ASCII so it reads the same under every Windows code page).
Option Explicit

Public Sub KamBtn_validate()
    KamRun "validate"
End Sub

Public Sub KamBtn_new_visit_plan()
    KamRun "new_visit_plan"
End Sub

Public Sub KamBtn_validate_all()
    KamRun "validate_all"
End Sub

Public Sub KamBtn_consolidate()
    KamRun "consolidate"
End Sub

Public Sub KamBtn_send()
    KamRun "send"
End Sub

Public Sub KamBtn_make_templates()
    KamRun "make_templates"
End Sub

Public Sub KamRun(action As String)
    If Not KamPythonReady() Then
        KamMessage KamText("kam_msg_no_python")
        Exit Sub
    End If
    RunPython "import kamxl.excel.macros as m; m.dispatch('" & action & "')"
End Sub

Public Function KamText(nameOfText As String) As String
    Dim refersTo As String
    On Error GoTo missing
    refersTo = ThisWorkbook.Names(nameOfText).RefersTo
    ' a text constant name reads ="..." (inner quotes doubled)
    KamText = Replace(Mid(refersTo, 3, Len(refersTo) - 3), """""", """")
    Exit Function
missing:
    KamText = "kamxl: install Python 3.11+ and the kamxl wheel (py -m pip install kamxl-<version>-py3-none-any.whl pywin32), then run: kamxl excel setup"
End Function
