import ArgumentParser
import Core
import Datasets
import Serving
import Training
import Runs
import Foundation
import Models

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
    } catch {
        throw reported(error)
    }
}

/// The same for async commands (serve, keys).
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw reported(error)
    }
}

/// Prints a known error as one line and turns it into its exit code; other errors pass through.
private func reported(_ error: any Error) -> any Error {
    let status: Int32
    switch error {
    case let error as DatasetError: status = exitStatus(for: error)
    case is TrainingError: status = ExitStatus.dataError
    case let error as FileError:
        switch error {
        case .unreadable: status = ExitStatus.noInput
        case .writeFailed, .exists, .notReplaceable: status = ExitStatus.cannotCreate
        }
    case is ServingError, is ModelFlagError: status = ExitStatus.usage
    case is ExitCode, is ValidationError, is CleanExit: return error
    case let error as CocoaError where error.isFileError:
        status = error.code.rawValue >= CocoaError.fileWriteUnknown.rawValue ? ExitStatus.cannotCreate : ExitStatus.noInput
    default:
        // Errors of the libraries underneath (a port in use, a database that will not open,
        // JSON that does not decode) still get one line and a sysexits code, never exit 1.
        let text = String(describing: error)
        if text.contains("Address already in use") {
            printError("error: the address is already in use (another server on that --port?): \(text)")
            return ExitCode(ExitStatus.usage)
        }
        printError("error: \(text)")
        return ExitCode(ExitStatus.dataError)
    }
    printError("error: \(error)")
    return ExitCode(status)
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
