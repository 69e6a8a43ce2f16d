/// Usage texts, in upstream calicoctl's docopt layout.
enum Usage {
    static func top(_ prog: String) -> String {
        """
        Usage:
          \(prog) [options] <command> [<args>...]

            create       Create a resource by file, directory or stdin.
            replace      Replace a resource by file, directory or stdin.
            apply        Apply a resource by file, directory or stdin.  This creates a resource
                         if it does not exist, and replaces a resource if it does exists.
            patch        Patch a pre-exisiting resource in place.
            delete       Delete a resource identified by file, directory, stdin or resource type and
                         name.
            get          Get a resource identified by file, directory, stdin or resource type and
                         name.
            label        Add or update labels of resources.
            convert      Convert config files between different API versions.
            ipam         IP address management.
            node         Calico node management.
            version      Display the version of this binary.
            datastore    Calico datastore management.
            cluster      Access cluster information.
            validate     Validate a resource by file, directory or stdin without applying it.

        Options:
          -h --help                    Show this screen.
          -l --log-level=<level>       Set the log level (one of panic, fatal, error,
                                       warn, info, debug) [default: panic]
             --context=<context>       The name of the kubeconfig context to use.
             --allow-version-mismatch  Allow client and cluster versions mismatch.

        Description:
          The calicoctl command line tool is used to manage Calico network and security
          policy, to view and manage endpoint configuration, and to manage a Calico
          node instance.

          See '\(prog) <command> --help' to read about a specific subcommand.
        """
    }

    static let fileOptions = """
          -f --filename=<FILENAME>     Filename to use. If set to "-" loads from stdin.
                                       If filename is a directory, this command is invoked
                                       for each .json .yaml and .yml file within that
                                       directory, terminating after the first failure.
          -R --recursive               Process the filename specified in -f or --filename
                                       recursively.
             --skip-empty              Do not error if any files or directory specified using
                                       -f or --filename contain no data.
        """

    static func validate(_ prog: String) -> String {
        """
        Usage:
          \(prog) validate --filename=<FILENAME> [--recursive] [--skip-empty] [--allow-version-mismatch]

        Examples:
          # Validate a set of resources from a file.
          \(prog) validate -f ./resources.yaml

          # Validate every manifest below a directory.
          \(prog) validate -R -f ./manifests/

          # Validate a resource piped on stdin.
          cat policy.yaml | \(prog) validate -f -

        Options:
          -h --help                    Show this screen.
        \(fileOptions)
             --allow-version-mismatch  Accepted for compatibility; validate never contacts a
                                       datastore.

        Description:
          The validate command checks a set of resources by filename, directory or stdin,
          without applying them: strict decoding (unknown fields are errors), then the
          field and cross-field rules of the projectcalico.org/v3 API. It works offline and
          never opens a datastore. -f may be given more than once.

          Every problem is reported with its file, document number, kind and name, the
          field path (for example spec.ingress[1].destination.ports[0]) and the reason.
          The exit code is 0 when every resource is valid and 1 otherwise.
        """
    }

    static func version(_ prog: String) -> String {
        """
        Usage:
          \(prog) version [--client] [--poll=<POLL>] [--allow-version-mismatch] [--config=<CONFIG>]

        Options:
          -h --help                    Show this screen.
             --client                  Display only the client version.
             --poll=<POLL>             Poll a specified interval and print out the cluster
                                       version when it changes.
          -c --config=<CONFIG>         Path to the file containing connection configuration in
                                       YAML or JSON format.
                                       [default: /etc/calico/calicoctl.cfg]
             --allow-version-mismatch  Allow client and cluster versions mismatch.

        Description:
          Display the version of calicoctl.
        """
    }

    static func convert(_ prog: String) -> String {
        """
        Usage:
          \(prog) convert --filename=<FILENAME>
                        [--output=<OUTPUT>] [--ignore-validation] [--allow-version-mismatch]

        Examples:
          # Convert the contents of policy.yaml to a Calico v3 policy.
          \(prog) convert -f ./policy.yaml -o yaml

          # Convert a policy based on the JSON passed into stdin.
          cat policy.json | \(prog) convert -f -

        Options:
          -h --help                     Show this screen.
          -f --filename=<FILENAME>      Filename to use to create the resource. If set to
                                        "-" loads from stdin.
          -o --output=<OUTPUT FORMAT>   Output format. One of: yaml or json.
                                        [Default: yaml]
             --ignore-validation        Skip validation on the converted manifest.
             --allow-version-mismatch   Allow client and cluster versions mismatch.

        Description:
          Convert config files from Calico v1 to Calico v3 API versions. Both YAML and JSON
          formats are accepted. (Kubernetes NetworkPolicy input is not converted by this
          build.)

          The default output will be printed to stdout in YAML format.
        """
    }

    /// Commands that work on a datastore, with their usage lines.
    static let datastoreCommands: [String: String] = [
        "create": "create --filename=<FILENAME> [--recursive] [--skip-empty] [--skip-exists] [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] [--allow-version-mismatch]",
        "replace": "replace --filename=<FILENAME> [--recursive] [--skip-empty] [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] [--allow-version-mismatch]",
        "apply": "apply --filename=<FILENAME> [--recursive] [--skip-empty] [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] [--allow-version-mismatch]",
        "patch": "patch <KIND> <NAME> --patch=<PATCH> [--type=<TYPE>] [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] [--allow-version-mismatch]",
        "delete": "delete ( (<KIND> [<NAME>...]) | --filename=<FILE> [--recursive] [--skip-empty] ) [--skip-not-exists] [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] [--allow-version-mismatch]",
        "get": "get ( (<KIND> [<NAME>...]) | --filename=<FILENAME> [--recursive] [--skip-empty] ) [--output=<OUTPUT>...] [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] [--all-namespaces] [--export] [--allow-version-mismatch]",
        "label": "label (<KIND> <NAME> ( <LABEL>=<VALUE> [--overwrite] | <LABEL> --remove ) [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>]) [--allow-version-mismatch]",
        "ipam": "ipam <command> [<args>...]   (show, check, release, split, configure)",
        "node": "node <command> [<args>...]   (status, diags, checksystem, run)",
        "datastore": "datastore <command> [<args>...]   (migrate export|import|lock|unlock)",
        "cluster": "cluster <command> [<args>...]   (diags)",
    ]

    static func node(_ prog: String) -> String {
        """
        Usage:
          \(prog) node <command> [<args>...]

            status       View the current status of a Calico node.
            diags        Gather a diagnostics bundle for a Calico node.
            checksystem  Verify the compute host is able to run a Calico node instance.
            run          Run the Calico node container image.

        Options:
          -h --help      Show this screen.

        Description:
          Node specific commands for calicoctl.  These commands must be run directly on
          the compute host running the Calico node instance.

          See '\(prog) node <command> --help' to read about a specific subcommand.
        """
    }

    static func nodeStatus(_ prog: String) -> String {
        """
        Usage:
          \(prog) node status

        Options:
          -h --help                 Show this screen.

        Description:
          Check the status of the Calico node instance.  This includes the status and
          uptime of the node instance, and BGP peering states.
        """
    }

    static func datastoreCommand(_ prog: String, _ name: String) -> String {
        """
        Usage:
          \(prog) \(datastoreCommands[name] ?? name)

        Options:
          -h --help                    Show this screen.

        Description:
          The \(name) command works on a Calico datastore: the embedded SQLite store
          (DATASTORE_TYPE=embedded, the default; EMBEDDED_DATASTORE_PATH) or etcd v3
          (DATASTORE_TYPE=etcdv3, ETCD_ENDPOINTS), or as set in --config. Use
          '\(prog) validate' to check manifests offline.
        """
    }
}
