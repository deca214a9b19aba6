Attribute VB_Name = "KamPython"
' Can this PC run kamxl? Asked once per Excel session: the configured interpreter
' (kamxl.conf sheet, else pythonw on PATH) must start and import kamxl's macros.
Option Explicit

#If Mac Then
#Else
' MsgBox hands its text to Windows in the system's ANSI code page: the Chinese install hint would show as ?
' on a PC whose code page is not Chinese. MessageBoxW takes the text as VBA holds it (UTF-16). Kept out of
' KamButtons: LibreOffice's Basic does not compile #If, and binds the buttons only to a module it compiles.
Private Declare PtrSafe Function MessageBoxW Lib "user32" (ByVal hWnd As LongPtr, ByVal lpText As LongPtr, _
    ByVal lpCaption As LongPtr, ByVal uType As Long) As Long
#End If

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

Public Sub KamMessage(text As String)
    ' a warning box whose text shows under every Windows code page (see MessageBoxW above)
    Dim title As String
    title = "kamxl"
#If Mac Then
    MsgBox text, vbExclamation, title
#Else
    MessageBoxW Application.hWnd, StrPtr(text), StrPtr(title), vbExclamation
#End If
End Sub
