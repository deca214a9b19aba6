Attribute VB_Name = "KamPython"
' Can this PC run kamxl? Asked once per Excel session: the configured interpreter
' (kamxl.conf sheet, else pythonw on PATH) must start and import kamxl's macros.
Option Explicit

Private checked As Boolean
Private ready As Boolean

Public Function KamPythonReady() As Boolean
    Dim interpreter As String
    If checked Then
        KamPythonReady = ready
        Exit Function
    End If
    interpreter = GetConfig("INTERPRETER_WIN", "")
    If interpreter = "" Then interpreter = GetConfig("INTERPRETER", "pythonw")
    On Error GoTo failed
    ready = (CreateObject("WScript.Shell").Run("""" & interpreter & """ -c ""import kamxl.excel.macros""", 0, True) = 0)
    checked = ready
    KamPythonReady = ready
    Exit Function
failed:
    KamPythonReady = False
End Function
