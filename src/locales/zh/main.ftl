# undersigned: the public pages and mails, in Simplified Chinese. Every
# file in src/locales has exactly the messages of the English reference (a
# unit test checks). Variables: $title, $name, $count (a number, for
# plurals) with $shown (the same number formatted), $date, $duration, $url.
# Chinese has only the plural category "other".

## The frame of every page
site-name = Undersigned
skip-to-content = 跳至正文
language-menu = 语言
footer-promise = 每个签名均须通过电子邮件确认，且只计算一次。您的电子邮件地址绝不会被公开或与他人共享。

## Counts
signature-count = { $count ->
   *[other] { $shown } 个签名
}
count-with-goal = { $count ->
   *[other] { $shown } 个签名，目标 { $goal } 个
}
goal-progress = 已达成目标的 { $percent }%
addressed-to = 致：{ $addressee }

## The list of petitions
petitions-title = 请愿
no-open-petitions = 目前没有正在征集签名的请愿。
closed-petitions = 已结束的请愿

## A petition and its sign form
text-changed = 本请愿的文本已于 { $date }（UTC）修改。
text-in-other-language = 本请愿尚无您所用语言的版本，现以原文显示。
sign-heading = 签署本请愿
error-summary-heading = 请更正以下内容
field-name = 姓名
field-email = 电子邮件地址
field-email-hint = 我们将向您发送一个链接，用于确认您的签名。您的地址不会在任何地方显示。
field-country = 国家
field-country-choose = 请选择您的国家
field-postcode = 邮政编码
field-optional = （选填）
field-keep-informed = 通过电子邮件向我通报本次运动的进展
field-honeypot = 请将此栏留空
sign-button = 签署
petition-closed = 本请愿已结束，不再接受签名。
open-until = 签名征集截至 { $date }（UTC）。

## Field errors
error-name-empty = 请输入您的姓名
error-name-too-long = 姓名不得超过 100 个字符
error-name-control = 姓名不得包含控制字符或换行符
error-name-link = 姓名不得包含网址或电子邮件地址
error-name-formula = 姓名不得以 =、+、- 或 @ 开头
error-email-empty = 请输入您的电子邮件地址
error-email-too-long = 电子邮件地址不得超过 254 个字符
error-email-invalid = 请输入有效的电子邮件地址，例如 name@example.com
error-email-disposable = { $domain } 的地址是一次性地址，我们无法接受：请使用您下个月仍会使用的地址
error-country-empty = 请选择您的国家
error-country-unknown = 请从列表中选择一个国家
error-receipt-empty = 请输入您的回执
error-receipt-malformed = 回执由 43 个字母、数字、“-”和“_”组成，与显示时相同
error-postcode-too-long = 邮政编码不得超过 16 个字符
error-postcode-invalid = 邮政编码只能包含字母、数字、空格和连字符

## After signing
check-email-title = 请查收电子邮件
check-email-sent = 谢谢。我们已向您提供的地址发送了一封邮件。
check-email-counts-once = 只有在您打开邮件中的链接并点击“确认签名”后，您的签名才会被计入。
check-email-valid-for = 该链接的有效期为 { $duration }。
check-email-spam = 如果几分钟内仍未收到，请查看您的垃圾邮件文件夹。
check-email-sign-again = 仍未收到？请使用同一地址再次签署，我们将发送新的链接。
sign-again-link = 再次签署
back-to-petition = 返回“{ $title }”
held-title = 您的签名正在等待审核
held-explained = 谢谢。我们已保存您的签名，但暂时将其搁置：短时间内从您所在的网络收到了异常多的签名，或者表单提交的速度快于一般人的填写速度。我们以此确保计数真实可信。
held-review = 组织者将对其进行审核。一旦审核通过，我们将向您发送一封电子邮件，其中附有确认签名的链接。
held-sign-again = 您也可以在几分钟后使用同一地址再次签署：如果情况已恢复正常，我们将立即发送确认邮件。

## Confirming and withdrawing (the pages behind the emailed links)
confirm-title = 确认您的签名
confirm-about = 您即将确认对以下请愿的签名：
confirm-name = 姓名
confirm-country = 国家
confirm-postcode = 邮政编码
confirm-language = 语言
confirm-keep-informed = 通过电子邮件接收运动消息
confirm-yes = 是
confirm-no = 否
confirm-changed = 在发送此链接或显示此页面之后，这些信息已被更改，因此未确认任何内容。以下是当前的信息。
confirm-wrong-details = 如果以上信息有误，请使用同一电子邮件地址和正确的信息再次签署。
confirm-button = 确认签名
confirm-not-you = 您没有签署？请删除这些信息。
remove-details-link = 删除这些信息
already-confirmed-title = 您的签名已经确认
already-confirmed-text = 您已签署本请愿，您的签名已被计入。您无需再做任何操作。
thanks-title = 谢谢，您的签名已确认
thanks-text = 您的签名现已计入。
share-petition = 请分享本请愿：
changed-mind = 改变主意了？
withdraw-link = 撤回您的签名
link-expired-title = 此链接已过期
link-expired-text = 确认链接仅在有限时间内有效，此链接已过期。您的签名尚未被计入。
link-expired-sign-again = 请使用同一电子邮件地址再次签署，我们将向您发送新的链接。
link-broken-title = 此链接无效
link-broken-text = 链接可能不完整（请检查是否已完整复制），或者对应的签名已被撤回。
link-broken-find = 您可以找到该请愿并再次签署：我们将发送新的链接。
find-petition-link = 查找该请愿
withdraw-title = 撤回您的签名
withdraw-text = 此操作将从下方请愿中删除您的签名，并清除您的姓名、电子邮件地址和邮政编码。此操作无法撤销，但您以后可以再次签署。
withdraw-button = 撤回我的签名
withdraw-keep = 保留我的签名并返回请愿
withdrawn-title = 您的签名已撤回
withdrawn-text = 您的签名不再计入，您的姓名、电子邮件地址和邮政编码已被清除。

## Error pages
error-not-found-title = 找不到页面
error-not-found-text = 此地址没有任何内容。
error-unavailable-title = 请稍后重试
error-unavailable-text = 服务繁忙或正在维护。请稍后重试。
error-internal-title = 出现错误
error-internal-text = 我们这边出现了错误，已记录在案；请稍后重试。
error-bad-request-title = 无法理解您的请求
error-bad-request-text = 无法读取所提交的内容。请返回，检查表格后重试。
error-gone-title = 内容已不再提供
error-refused-title = 此请求已被拒绝
error-conflict-title = 目前无法执行此操作
error-home-link = 前往请愿列表

## The embeddable form and the badge
embed-sign-on-site = 在独立页面中打开该请愿
badge-label = { $count ->
   *[other] 个签名
}

## Durations
duration-days = { $n ->
   *[other] { $n } 天
}
duration-hours = { $n ->
   *[other] { $n } 小时
}
duration-minutes = { $n ->
   *[other] { $n } 分钟
}
duration-seconds = { $n ->
   *[other] { $n } 秒
}

## Mails
mail-confirm-subject = 请确认您的签名：{ $title }
mail-already-subject = 您已签署：{ $title }
mail-greeting = { $name }，您好：
mail-confirm-thanks = 感谢您签署请愿“{ $title }”。
mail-confirm-counts-once = 您的签名只有在确认后才会被计入。
mail-confirm-open-link = 请打开此链接并点击“确认签名”：
mail-confirm-button = 确认签名
mail-confirm-copy = 或将此地址复制到浏览器中：
mail-confirm-valid-for = 该链接的有效期为 { $duration }。如已过期，请再次签署，我们将向您发送新的链接：
mail-not-you = 如果您没有签署，请忽略此邮件：未经确认，任何签名都不会被计入。如需立即删除您的信息，请打开：
mail-already-text = 有人（可能是您本人）刚刚尝试使用此地址签署请愿“{ $title }”。您此前已签署该请愿，您的签名已被计入，无需再做任何操作。
mail-already-withdraw = 如果您希望撤回签名，请打开：
mail-why = 您收到此邮件，是因为有人使用此地址在以下网站进行了签署：{ $url }

receipt-title = 您的回执（可选）
receipt-proves = 此代码证明您的签名已计入请愿书的公开日志，任何人都可以核查：除您之外，没有人能把它与您联系起来。
receipt-once = 这是唯一的副本：它不会被保存，也不会再次显示。
receipt-warning = 您向谁出示它，谁就会知道您签了名。保留它是可选的；如果保留，请存放在私密的地方。
receipt-check-link = 核查回执

## The public log on the petition page
log-last-checkpoint = 公开签名日志：最近的检查点生成于{ $ago }。
log-no-checkpoint = 公开签名日志：尚无检查点。
log-checkpoint-link = 最新检查点
ago-seconds = { $n ->
   *[other] { $n } 秒前
}
ago-minutes = { $n ->
   *[other] { $n } 分钟前
}
ago-hours = { $n ->
   *[other] { $n } 小时前
}
ago-days = { $n ->
   *[other] { $n } 天前
}

## Checking a receipt
verify-title = 核查回执
verify-intro = 您确认签名时，感谢页面向您显示了一张回执：一个由 43 个字母、数字、“-”和“_”组成的代码。在此输入它，即可在请愿书的公开日志中找到您的签名。
verify-proves = 如果找到，您会看到您的签名所对应的日志条目，以及该条目属于日志最新签名检查点的证明。检查点固定了它之前的所有条目：此后，任何条目被删除或更改，都会被保存过检查点的任何人发现。条目中没有姓名、电子邮件地址或邮政编码，只有国家、日期和一个只有您的回执才能对应的代码。
verify-private = 您的回执会发送到本服务器以供查找；它不会被保存，也不会被记录。若要在不发送给任何人的情况下核查，请使用下面的命令行。
field-receipt = 您的回执
field-receipt-hint = 与感谢页面上显示的相同：43 个字母、数字、“-”和“_”。
verify-button = 核查
verify-another = 核查另一张回执
verify-found-title = 您的签名在日志中
verify-entry-heading = 您的条目
verify-entry-index = 条目编号（从 0 开始）
verify-entry-kind = 类型
verify-kind-confirmed = 已确认的签名
verify-entry-country = 国家
verify-entry-day = 确认日期（UTC）
verify-counted = 它已计入：没有任何撤回将其取消。
verify-withdrawn = 它已被撤回：条目 { $index } 取消了它，因此它不再计入。
verify-checkpoint-heading = 包含它的检查点
verify-checkpoint-size = 日志中的条目数
verify-checkpoint-root = 根哈希
verify-checkpoint-note = 已签名的检查点
verify-proof-heading = 包含证明
verify-proof-explained = 对您的条目求哈希，再将结果依次与这些哈希逐一组合（RFC 9162），即得到检查点的根哈希。
verify-proof-none = 无需任何哈希：您的条目是日志中唯一的条目。
verify-server-checked = 本服务器已对照已签名的检查点核查了该证明：证明成立。
verify-server-failed = 本服务器自身对该证明的核查失败（{ $problem }）。日志状态异常：请告知组织者。
verify-queued-title = 您的签名已确认，即将进入日志
verify-queued-text = 它正在等待加入：日志会在确认发生几秒钟后将其收录。日志最新检查点有 { $size } 个条目。请一分钟后再试。
verify-not-found-title = 此回执不在日志中
verify-not-found-text = 截至最新检查点（{ $size } 个条目），本请愿书日志中没有任何条目带有此回执。
verify-not-found-why = 日志会在确认发生几秒钟后将其收录：如果您刚刚确认，请一分钟后再试。否则，请检查您输入的回执是否与显示时完全一致，并且是在您签署的请愿书上核查。
verify-yourself-heading = 无需信任本服务器即可核查
verify-yourself-text = undersigned 命令行会读取日志公开的文件，用本运动的密钥核查检查点的签名，在所有条目中找到您的条目（因此服务器不会知道您在找哪一个），并核查其证明。“-”让它向您询问回执，这样回执就不会留在终端的历史记录中：
verify-yourself-key = 请将此密钥与本运动在别处公布的密钥进行比较：仅用从本页获取的密钥核查，只能表明日志与其自身一致。
