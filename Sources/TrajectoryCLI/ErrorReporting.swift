import ArgumentParser
import Core
import Datasets
import Training
import Foundation

/// Exit codes from sysexits.h, so scripts can tell failures apart.
enum ExitStatus {
    static let usage: Int32 = 64       // EX_USAGE: a bad option
    static let dataError: Int32 = 65   // EX_DATAERR: malformed input under --strict
    static let noInput: Int32 = 66     // EX_NOINPUT: missing or unreadable input
    static let cannotCreate: Int32 = 73 // EX_CANTCREAT: output exists or cannot be written
}

/// Runs `body`; a dataset error becomes one line on stderr and a meaningful exit code.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as DatasetError {
        printError("error: \(error)")
        throw ExitCode(exitStatus(for: error))
    } catch let error as TrainingError {
        printError("error: \(error)")
        throw ExitCode(ExitStatus.dataError)
    } catch let error as FileError {
        printError("error: \(error)")
        switch error {
        case .unreadable: throw ExitCode(ExitStatus.noInput)
        case .writeFailed, .exists: throw ExitCode(ExitStatus.cannotCreate)
        }
    }
}

func exitStatus(for error: DatasetError) -> Int32 {
    switch error {
    case .malformedLine: return ExitStatus.dataError
    case .unreadable: return ExitStatus.noInput
    case .outputExists, .writeFailed: return ExitStatus.cannotCreate
    case .invalidOption, .unknownColumn: return ExitStatus.usage
    case .emptyResult, .corruptDataset: return ExitStatus.dataError
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
