"""SNS end to end (query protocol with XML answers): topics, subscriptions, Publish delivered to SQS with and
without raw message delivery, attributes, tags, errors, the AWS CLI, and durability across kill -9."""
import base64
import io
import json
import re
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import error_of, wait_for


@pytest.fixture
def sns(eddy):
    return eddy.client("sns")


@pytest.fixture
def sqs(eddy):
    return eddy.client("sqs")


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def queue_with_arn(sqs):
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive_one(sqs, url, **kwargs):
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, **kwargs)["Messages"]
    assert len(got) == 1
    return got[0]


def test_topic_lifecycle_attributes_and_listing(sns, eddy):
    name = unique("t")
    arn = sns.create_topic(Name=name, Attributes={"DisplayName": "Alerts"})["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:000000000000:{name}"
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "Alerts"})["TopicArn"] == arn
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name=name, Attributes={"DisplayName": "Other"})
    assert error_of(e) == ("InvalidParameter",
                           "Invalid parameter: Attributes Reason: Topic already exists with different attributes")

    # Topics belong to their region: another region's client cannot reach this one (AWS's answer).
    west = eddy.client("sns", region="us-west-1")
    for call in (lambda: west.get_topic_attributes(TopicArn=arn), lambda: west.delete_topic(TopicArn=arn),
                 lambda: west.publish(TopicArn=arn, Message="m")):
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e) == ("InvalidParameter", "Invalid parameter: TopicArn")
    # Re-creating with a subset of its tags is no conflict; duplicated tag keys are refused.
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "Alerts"},
                            Tags=[{"Key": "a", "Value": "1"}])["TopicArn"] == arn
    with pytest.raises(ClientError) as e:
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "c", "Value": "1"}, {"Key": "c", "Value": "2"}])
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: Duplicated keys are not allowed.")
    sns.untag_resource(ResourceArn=arn, TagKeys=["a", "b"])
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn
    assert attrs["Owner"] == "000000000000"
    assert attrs["DisplayName"] == "Alerts"
    assert attrs["SubscriptionsConfirmed"] == "0"
    assert json.loads(attrs["Policy"])["Statement"][0]["Resource"] == arn
    assert "EffectiveDeliveryPolicy" in attrs
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Renamed")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "Renamed"
    with pytest.raises(ClientError) as e:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="Bogus", AttributeValue="x")
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: AttributeName")

    assert {"TopicArn": arn} in sns.list_topics()["Topics"]
    sns.delete_topic(TopicArn=arn)
    assert {"TopicArn": arn} not in sns.list_topics()["Topics"]
    sns.delete_topic(TopicArn=arn)  # deleting a missing topic succeeds
    with pytest.raises(sns.exceptions.NotFoundException) as e:
        sns.get_topic_attributes(TopicArn=arn)
    assert error_of(e) == ("NotFound", "Topic does not exist")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_topic_errors_and_refusals(sns):
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.create_topic(Name="bad name")
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: Topic Name")
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name=unique("f") + ".fifo", Attributes={"FifoTopic": "true"})
    code, message = error_of(e)
    assert code == "InvalidParameter" and "FIFO topics are not supported by eddy" in message
    # AWS's recorded texts for ARNs it cannot use.
    with pytest.raises(ClientError) as e:
        sns.get_topic_attributes(TopicArn="not-an-arn")
    assert error_of(e) == ("InvalidParameter",
                           "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn="", Message="x")
    assert error_of(e) == ("InvalidParameter",
                           "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")
    for arn, message in [("arn:aws:sns:us-east-1:random", "SubscriptionArn Reason: An ARN must have at least 6 "
                                                          "elements, not 5"),
                         ("arn:aws:sns:us-east-1:000000000000:random", "SubscriptionId")]:
        with pytest.raises(ClientError) as e:
            sns.unsubscribe(SubscriptionArn=arn)
        assert error_of(e) == ("InvalidParameter", f"Invalid parameter: {message}")
    with pytest.raises(ClientError) as e:
        sns.publish(TargetArn="arn:aws:sns:us-east-1:000000000000:endpoint/APNS/app/0f3e", Message="x")
    assert error_of(e) == ("InvalidParameter",
                           "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified")
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn="arn:aws:sns:us-east-1:000000000000:" + unique("missing"), Message="x")
    assert error_of(e) == ("NotFound", "Topic does not exist")
    with pytest.raises(ClientError) as e:
        sns.list_phone_numbers_opted_out()
    code, message = error_of(e)
    assert code == "InvalidAction" and "ListPhoneNumbersOptedOut" in message


def test_publish_to_sqs_delivers_the_sns_envelope(sns, sqs):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    url, queue_arn = queue_with_arn(sqs)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    published = sns.publish(TopicArn=topic, Message='{"hello": "world"}', Subject="Greeting",
                            MessageAttributes={"colour": {"DataType": "String", "StringValue": "blue"},
                                               "count": {"DataType": "Number", "StringValue": "3"},
                                               "raw": {"DataType": "Binary", "BinaryValue": b"\x01\x02"}})
    message = receive_one(sqs, url, AttributeNames=["All"])
    assert "MessageAttributes" not in message
    envelope = json.loads(message["Body"])
    assert list(envelope) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
                              "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL",
                              "MessageAttributes"]
    assert envelope["Type"] == "Notification"
    assert envelope["MessageId"] == published["MessageId"]
    assert envelope["TopicArn"] == topic
    assert envelope["Subject"] == "Greeting"
    assert envelope["Message"] == '{"hello": "world"}'
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", envelope["Timestamp"])
    assert envelope["SignatureVersion"] == "1"
    assert len(base64.b64decode(envelope["Signature"])) == 256
    assert re.fullmatch(r"https://sns\.us-east-1\.amazonaws\.com/SimpleNotificationService-[0-9a-f]+\.pem",
                        envelope["SigningCertURL"])
    assert envelope["UnsubscribeURL"] == (
        f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={sub}")
    assert envelope["MessageAttributes"] == {
        "colour": {"Type": "String", "Value": "blue"},
        "count": {"Type": "Number", "Value": "3"},
        "raw": {"Type": "Binary", "Value": base64.b64encode(b"\x01\x02").decode()},
    }
    # The topic's SignatureVersion names the envelope's (AWS-recorded).
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    sns.publish(TopicArn=topic, Message="v2")
    assert json.loads(receive_one(sqs, url)["Body"])["SignatureVersion"] == "2"
    # Without a subject and attributes, the envelope has neither.
    sns.publish(TopicArn=topic, Message="plain")
    envelope = json.loads(receive_one(sqs, url)["Body"])
    assert "Subject" not in envelope and "MessageAttributes" not in envelope
    assert envelope["Message"] == "plain"


def test_raw_message_delivery_sends_the_message_and_its_attributes(sns, sqs):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    url, queue_arn = queue_with_arn(sqs)
    # Any case, stored in lower case (AWS-recorded).
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                        Attributes={"RawMessageDelivery": "TrUe"})["SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RawMessageDelivery"] == "true"
    # A standard topic passes a message group on to its queues (fair queues).
    sns.publish(TopicArn=topic, Message="raw body", Subject="ignored", MessageGroupId="tenant-7",
                MessageAttributes={"colour": {"DataType": "String", "StringValue": "red"}})
    message = receive_one(sqs, url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["MessageGroupId"])
    assert message["Body"] == "raw body"
    assert message["MessageAttributes"] == {"colour": {"DataType": "String", "StringValue": "red"}}
    assert message["Attributes"] == {"MessageGroupId": "tenant-7"}
    # Switching raw delivery off again restores the envelope.
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="false")
    sns.publish(TopicArn=topic, Message="wrapped")
    assert json.loads(receive_one(sqs, url)["Body"])["Message"] == "wrapped"


@pytest.mark.parametrize("attributes,message", [
    ({"a": {"DataType": "String.", "StringValue": "v"}},
     "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is "
     "Binary, Number, and String."),
    ({"a": {"DataType": "String", "BinaryValue": b"v"}}, "The message attribute 'a' with type 'String' must use "
                                                          "field 'String'."),
    ({"a": {"DataType": "Binary", "StringValue": "v"}}, "The message attribute 'a' with type 'Binary' must use "
                                                         "field 'Binary'."),
    ({"a" * 256: {"DataType": "String", "StringValue": "v"}},
     "Length of message attribute name must be less than 256 bytes."),
    ({"a^*?": {"DataType": "String", "StringValue": "v"}},
     "Invalid non-alphanumeric character '#x5E' was found in the message attribute name. Can only include "
     "alphanumeric characters, hyphens, underscores, or dots."),
    ({".abc": {"DataType": "String", "StringValue": "v"}},
     "Invalid message attribute name starting with character '.' was found."),
    ({"abc.": {"DataType": "String", "StringValue": "v"}},
     "Invalid message attribute name ending with character '.' was found."),
    ({"a..bc": {"DataType": "String", "StringValue": "v"}},
     "Message attribute name can not have successive '.' character."),
])
def test_publish_refuses_bad_message_attributes_in_sns_words(sns, attributes, message):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message="m", MessageAttributes=attributes)
    assert error_of(e) == ("ParameterValueInvalid", message)


def test_model_faults_in_sns_words(eddy):
    raw = eddy.client("sns", validate=False)
    topic = raw.create_topic(Name=unique("t"))["TopicArn"]
    with pytest.raises(ClientError) as e:
        raw.publish(TopicArn=topic, Message="m", MessageAttributes={"attr1": {"StringValue": "v"}})
    assert error_of(e) == ("ValidationError", "1 validation error detected: Value null at "
                                              "'messageAttributes.attr1.member.dataType' failed to satisfy constraint: "
                                              "Member must not be null")
    with pytest.raises(ClientError) as e:
        raw.unsubscribe()
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: SubscriptionArn Reason: no value for required "
                                               "parameter")


def test_subscription_attribute_faults_in_sns_words(sns, sqs):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    _, queue_arn = queue_with_arn(sqs)
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "x"})
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid "
                                               "value [x]. Must be true or false.")
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    for name, value, message in [
        ("RawMessageDelivery", "test-ValUe", "RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false."),
        ("RedrivePolicy", '{"deadLetterTargetArn": "fake-arn"}', "RedrivePolicy: deadLetterTargetArn is an invalid arn"),
        ("RedrivePolicy", "{invalidjson}", "RedrivePolicy: failed to parse JSON."),
    ]:
        with pytest.raises(ClientError) as e:
            sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName=name, AttributeValue=value)
        assert error_of(e) == ("InvalidParameter", f"Invalid parameter: {message}")


def test_the_publishers_xray_header_reaches_the_queue(eddy, sqs):
    # boto3 sends the header a Lambda or an instrumented app would; SNS carries it into AWSTraceHeader.
    trace = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"
    sns = eddy.client("sns")
    sns.meta.events.register("before-sign.sns.Publish",
                             lambda request, **_: request.headers.__setitem__("X-Amzn-Trace-Id", trace))
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    url, queue_arn = queue_with_arn(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    sns.publish(TopicArn=topic, Message="traced")
    message = receive_one(sqs, url, MessageSystemAttributeNames=["AWSTraceHeader"])
    assert message["Attributes"] == {"AWSTraceHeader": trace}


def test_message_structure_json_picks_the_sqs_entry(sns, sqs):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    url, queue_arn = queue_with_arn(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "d", "sqs": "for sqs"}))
    assert receive_one(sqs, url)["Body"] == "for sqs"
    # An entry that is not a string is passed over for the default (AWS-recorded).
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "d", "sqs": {"f": "v"}}))
    assert receive_one(sqs, url)["Body"] == "d"
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"sqs": "x"}))
    assert error_of(e) == ("InvalidParameter",
                           "Invalid parameter: Message Structure - No default entry in JSON message body")


def test_subscriptions_listing_and_errors(sns, sqs):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    _, q1 = queue_with_arn(sqs)
    _, q2 = queue_with_arn(sqs)
    s1 = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q1)["SubscriptionArn"]
    s2 = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q2)["SubscriptionArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q1)["SubscriptionArn"] == s1
    by_topic = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sorted(s["SubscriptionArn"] for s in by_topic) == sorted([s1, s2])
    entry = next(s for s in by_topic if s["SubscriptionArn"] == s1)
    assert entry == {"SubscriptionArn": s1, "Owner": "000000000000", "Protocol": "sqs", "Endpoint": q1,
                     "TopicArn": topic}
    assert {s1, s2} <= {s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]}
    attrs = sns.get_subscription_attributes(SubscriptionArn=s1)["Attributes"]
    assert attrs["TopicArn"] == topic and attrs["Endpoint"] == q1 and attrs["Protocol"] == "sqs"
    assert attrs["PendingConfirmation"] == "false" and attrs["RawMessageDelivery"] == "false"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "2"

    sns.unsubscribe(SubscriptionArn=s2)
    sns.unsubscribe(SubscriptionArn=s2)  # again: succeeds, as on AWS
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [s1]
    with pytest.raises(ClientError) as e:
        sns.get_subscription_attributes(SubscriptionArn=s2)
    assert error_of(e) == ("NotFound", "Subscription does not exist")

    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="not-an-arn")
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: SQS endpoint ARN")
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="carrier-pigeon", Endpoint="x")
    assert error_of(e) == ("InvalidParameter",
                           "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon")
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://example.com/hook")
    code, message = error_of(e)
    assert code == "InvalidParameter" and "only to sqs and lambda" in message

    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q2, Attributes={"FilterPolicy": '{"a": ["b"]}'})
    code, message = error_of(e)
    assert code == "InvalidParameter" and "FilterPolicy is not supported by eddy" in message
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic + "-missing", Protocol="sqs", Endpoint=q2)
    assert error_of(e) == ("NotFound", "Topic does not exist")

    # Deleting the topic removes its subscriptions.
    sns.delete_topic(TopicArn=topic)
    assert s1 not in {s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]}


def test_publish_errors(sns):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message="")
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: Empty message")
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message="x" * 262_145)
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: Message too long")
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message="x", Subject="line\nbreak")
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: Subject")
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message="x",
                    MessageAttributes={"n": {"DataType": "Number", "StringValue": "NaN-ish"}})
    assert error_of(e) == ("ParameterValueInvalid", "Can't cast the value of message (user) attribute 'n' to a number.")


def test_tags(sns):
    topic = sns.create_topic(Name=unique("t"), Tags=[{"Key": "team", "Value": "core"}])["TopicArn"]
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "team", "Value": "core"}]
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "env", "Value": "test"}])
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [
        {"Key": "env", "Value": "test"}, {"Key": "team", "Value": "core"}]
    sns.untag_resource(ResourceArn=topic, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "env", "Value": "test"}]
    with pytest.raises(ClientError) as e:
        sns.list_tags_for_resource(ResourceArn=topic + "-missing")
    assert error_of(e) == ("ResourceNotFound", "Resource does not exist")


def test_list_topics_pages(eddy):
    sns = eddy.client("sns", key="222233334444")
    arns = sorted(sns.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(105))
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and "NextToken" in first
    second = sns.list_topics(NextToken=first["NextToken"])
    assert "NextToken" not in second
    assert [t["TopicArn"] for t in first["Topics"] + second["Topics"]] == arns


def test_aws_cli_round_trip(eddy):
    sqs = eddy.client("sqs")
    url, queue_arn = queue_with_arn(sqs)
    topic = eddy.aws("sns", "create-topic", "--name", unique("cli"))["TopicArn"]
    sub = eddy.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs",
                   "--notification-endpoint", queue_arn, "--attributes", '{"RawMessageDelivery":"true"}',
                   "--return-subscription-arn")["SubscriptionArn"]
    assert sub.startswith(topic)
    assert eddy.aws("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"][0]["Endpoint"] == queue_arn
    message_id = eddy.aws("sns", "publish", "--topic-arn", topic, "--message", "from the cli")["MessageId"]
    assert message_id
    got = eddy.aws("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "5")["Messages"][0]
    assert got["Body"] == "from the cli"
    eddy.aws("sns", "unsubscribe", "--subscription-arn", sub)
    eddy.aws("sns", "delete-topic", "--topic-arn", topic)
    proc = eddy.aws("sns", "get-topic-attributes", "--topic-arn", topic, check=False)
    assert proc.returncode != 0 and "NotFound" in proc.stderr


def test_topics_and_subscriptions_survive_kill_9(fresh_eddy):
    sns = fresh_eddy.client("sns")
    sqs = fresh_eddy.client("sqs")
    url, queue_arn = queue_with_arn(sqs)
    topic = sns.create_topic(Name="durable-topic", Attributes={"DisplayName": "D"},
                             Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                        Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="before")
    fresh_eddy.kill()
    fresh_eddy.start()
    sns = fresh_eddy.client("sns")
    sqs = fresh_eddy.client("sqs")
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "D"
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RawMessageDelivery"] == "true"
    sns.publish(TopicArn=topic, Message="after")
    bodies = sorted(m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"])
    assert bodies == ["after", "before"]


def test_publish_to_a_lambda_subscription_invokes_the_function_with_the_sns_event(eddy, sns, tmp_path):
    """SNS → Lambda: the function gets SNS's `Records[].Sns` event, asynchronously, as on AWS."""
    lam = eddy.client("lambda")
    out = tmp_path / "event.json"
    handler = ("import json, os\n"
               "def handler(event, context):\n"
               "    with open(os.environ['OUT'], 'w') as f:\n"
               "        json.dump(event, f)\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", handler)
    name = unique("sns-fn")
    fn_arn = lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler",
                                 Role="arn:aws:iam::000000000000:role/lambda-role", Code={"ZipFile": buf.getvalue()},
                                 Environment={"Variables": {"OUT": str(out)}})["FunctionArn"]
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    message_id = sns.publish(TopicArn=topic, Message="hello lambda", Subject="greeting",
                             MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})["MessageId"]

    event = json.loads(wait_for(lambda: out.exists() and out.read_text(), timeout=20, message="the handler's event"))
    [record] = event["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == sub
    body = record["Sns"]
    assert body["Type"] == "Notification" and body["MessageId"] == message_id and body["TopicArn"] == topic
    assert body["Message"] == "hello lambda" and body["Subject"] == "greeting"
    assert body["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert {"Timestamp", "SignatureVersion", "Signature", "SigningCertUrl", "UnsubscribeUrl"} <= set(body)
